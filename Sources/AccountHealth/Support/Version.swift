/// The library's version: the one `CHANGELOG.md` names first, that `healthscore --version` prints, and that a
/// package depending on AccountHealth `from:` a version gets. Bump both together.
public enum AccountHealthVersion {
    /// The version, `major.minor.patch`.
    public static let current = "0.5.8"
}
