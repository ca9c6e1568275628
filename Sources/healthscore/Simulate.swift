import AccountHealth
import ArgumentParser
import Foundation

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a realistic synthetic dataset (timeline, accounts, outcomes, config, truth), seeded.",
        discussion: """
            Example:
              healthscore simulate --accounts 3000 --weeks 104 --seed 7 --output datasets/simulated
            """
    )

    @Option(help: "Number of accounts.") var accounts: Int = 3000
    @Option(help: "Weeks of weekly timeline rows.") var weeks: Int = 104
    @Option(help: "Random seed (same seed, same files).") var seed: UInt64 = 1
    @Option(name: [.short, .long], help: ArgumentHelp("Directory to write into (created if needed).", valueName: "dir"))
    var output: String

    func validate() throws {
        guard accounts > 0 else { throw ValidationError("--accounts must be positive") }
        guard weeks > 0 else { throw ValidationError("--weeks must be positive") }
    }

    func run() throws {
        try reportingErrors {
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            } catch {
                throw InputError(.unreadableFile, Location(file: output), "cannot create the directory: \(error.localizedDescription)")
            }
            let s = try Simulator(accounts: accounts, weeks: weeks, seed: seed).write(to: output)
            note("wrote \(s.files.joined(separator: ", ")) to \(output): \(s.timelineRows) timeline rows, \(s.accounts) accounts, \(s.outcomes) outcomes (\(s.churns) churned)")
        }
    }
}
