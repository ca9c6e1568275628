#ifndef ACCOUNTHEALTH_COPENBLAS_SHIM_H
#define ACCOUNTHEALTH_COPENBLAS_SHIM_H

#if __has_include(<cblas.h>)
#include <cblas.h>
#elif __has_include(<openblas/cblas.h>)
#include <openblas/cblas.h>
#else
#error "cblas.h not found: install OpenBLAS with `apt-get install -y libopenblas-dev` (or run scripts/setup.sh)"
#endif

#if __has_include(<lapacke.h>)
#include <lapacke.h>
#else
#error "lapacke.h not found: Debian's OpenBLAS ships without LAPACKE; install it with `apt-get install -y liblapacke-dev` (or run scripts/setup.sh)"
#endif

/* openblas_set_num_threads is declared by OpenBLAS's cblas.h; declared again for other CBLAS headers. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

#endif
