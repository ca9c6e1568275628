# AccountHealth — the two commands of the README, and a few more.
SHELL := /bin/bash
BIN := .build/release/healthscore
DATA := datasets/simulated
OUT := demo-out

.PHONY: demo test setup build bench datasets clean report-check fuzz lint format

setup:
	@bash scripts/setup.sh

build: setup
	swift build -c release

## make demo: install what is missing, build, and run the main job on the bundled dataset
demo: build
	@mkdir -p $(OUT)
	$(BIN) validate --data $(DATA) --format table
	$(BIN) score --data $(DATA) --format csv --output $(OUT)/scores.csv
	$(BIN) score --data $(DATA) --every 28 --format csv --output $(OUT)/replay.csv
	$(BIN) alerts --data $(DATA) --drop 15 --format csv --output $(OUT)/alerts.csv
	$(BIN) explain --data $(DATA) --account A000042 --from 2024-06-03 --format table
	$(BIN) fit --data $(DATA) --bootstrap 100 --write-config $(OUT)/suggested.yaml --save-model $(OUT)/model.json --format table
	$(BIN) fit --data $(DATA) --format json --output $(OUT)/fit.json
	$(BIN) indicators --data $(DATA) --format table
	$(BIN) backtest --data $(DATA) --against $(OUT)/suggested.yaml --format json --output $(OUT)/backtest.json
	$(BIN) score --data $(DATA) --config $(OUT)/suggested.yaml --format csv --output $(OUT)/scores-suggested.csv
	$(BIN) compare --data $(DATA) --by am --format table
	$(BIN) compare --data $(DATA) --by segment --format json --output $(OUT)/compare-segment.json
	$(BIN) rank --data $(DATA) --model $(OUT)/model.json --format csv --output $(OUT)/risks.csv
	$(BIN) rank --data $(DATA) --as-of 2024-06-30 --top 15 --format table
	$(BIN) survival --data $(DATA) --predictions $(OUT)/survival-predictions.csv --save-model $(OUT)/cox.json --format table
	$(BIN) survival --data $(DATA) --format json --output $(OUT)/survival.json
	$(BIN) rank --data $(DATA) --model $(OUT)/cox.json --top 10 --format table
	$(BIN) report --data $(DATA) --output $(OUT)/report
	@rm -rf $(OUT)/configs
	$(BIN) config new $(DATA)/config.yaml --configs $(OUT)/configs --id v1 --effective-from 2023-01-01 --note "hand-set" --quiet
	$(BIN) config new $(OUT)/suggested.yaml --configs $(OUT)/configs --id v2 --effective-from 2024-01-01 --note "fitted" --data $(DATA) --quiet
	$(BIN) config diff v1 v2 --configs $(OUT)/configs --format table
	$(BIN) score --data $(DATA) --configs $(OUT)/configs --every 28 --format csv --output $(OUT)/replay-history.csv
	$(BIN) derive --data datasets/activity --output $(OUT)/activity-timeline.csv
	$(BIN) score --data datasets/activity --format csv --output $(OUT)/activity-scores.csv
	$(BIN) fit --data datasets/activity --format table
	$(BIN) validate --data datasets/fightchurn-crm6 --format table
	$(BIN) score --data datasets/fightchurn-crm6 --format csv --output $(OUT)/fightchurn-scores.csv
	$(BIN) indicators --data datasets/fightchurn-crm6 --horizons 7,14,30,60,90 --format table
	$(BIN) score --data $(DATA) --format table | head -n 12
	@echo "demo: results in $(OUT)/"
	@echo "demo: to try the studio (the portfolio, accounts and the weight tuner in the browser), run:"
	@echo "    $(BIN) serve --data $(DATA)      # then open http://127.0.0.1:8080/"

## make test: the whole test suite (unit, reference and end-to-end tests of the binary, PostgreSQL servers, the studio in headless Chromium)
test: setup
	@mkdir -p .build && rm -f .build/test-captures.log
	swift test
	swift build --product healthscore
	python3 Tests/Browser/studio_browser.py .build/debug/healthscore
	bash scripts/check_no_secrets.sh .build/test-captures.log

## make lint: swift format's lint of the sources (.swift-format: 120 columns), no line over 120 characters, and a
## doc comment on every public declaration
lint:
	swift format lint --strict --recursive --configuration .swift-format Sources Plugins
	@python3 scripts/check_line_length.py 120 Sources Plugins
	@python3 scripts/check_doc_comments.py Sources

## make format: rewrite the sources as swift format lays them out
format:
	swift format format --in-place --recursive --configuration .swift-format Sources Plugins

## make bench: the scoring, fitting, Cox and derive benchmarks against the peers, and the model kernels
bench: build
	bash scripts/bench_score.sh
	bash scripts/bench_fit.sh
	bash scripts/bench_cox.sh
	bash scripts/bench_derive.sh
	bash scripts/bench_score_form.sh
	bash scripts/bench_history.sh
	$(BIN) bench

## make report-check: render the report in headless Chromium and fail on a blank or broken page
report-check: build
	bash scripts/check_report.sh $(OUT)/report

## make fuzz: a longer libFuzzer run (10 minutes a target)
fuzz:
	bash scripts/fuzz.sh 600

## make datasets: re-create the bundled datasets (simulated, and the fight-churn conversion)
datasets: build
	$(BIN) simulate --accounts 2500 --weeks 104 --seed 7 --output datasets/simulated
	$(BIN) simulate --accounts 250 --weeks 104 --seed 7 --events --output datasets/activity
	python3 datasets/fightchurn-crm6/convert.py

clean:
	rm -rf .build $(OUT)
