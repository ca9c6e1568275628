import AccountHealth
import ArgumentParser
import Foundation

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a realistic synthetic dataset (timeline, accounts, outcomes, config, truth), seeded.",
        discussion: """
            With --events the same world (the same accounts and outcomes for a seed) is written as an activity
            log: logins, tasks due and done, notes, profile updates, QBR ratings, calls and meetings, survey
            answers and tickets, with a config.yaml whose metrics: section derives the factors from them.
            Examples:
              healthscore simulate --accounts 3000 --weeks 104 --seed 7 --output datasets/simulated
              healthscore simulate --accounts 250 --weeks 104 --seed 7 --events --output datasets/activity
            """
    )

    @Option(help: "Number of accounts.") var accounts: Int = 3000
    @Option(help: "Weeks of weekly timeline rows.") var weeks: Int = 104
    @Option(help: "Random seed (same seed, same files).") var seed: UInt64 = 1
    @Option(
        name: [.short, .long], help: ArgumentHelp("Directory to write into (created if needed).", valueName: "dir"))
    var output: String
    @Flag(help: "Write the CRM's activity log (events.csv) and a metrics: section instead of timeline.csv (DESIGN §9).")
    var events = false

    func validate() throws {
        guard accounts > 0 else { throw ValidationError("--accounts must be positive") }
        guard weeks > 0 else { throw ValidationError("--weeks must be positive") }
    }

    func run() throws {
        try reportingErrors {
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            } catch {
                throw InputError(
                    .unreadableFile, Location(file: output),
                    "cannot create the directory: \(error.localizedDescription)")
            }
            var sim = Simulator(accounts: accounts, weeks: weeks, seed: seed)
            sim.events = events
            let s = try sim.write(to: output)
            note(
                "wrote \(s.files.joined(separator: ", ")) to \(output): \(s.timelineRows) "
                    + "\(events ? "events" : "timeline rows"), \(s.accounts) accounts, \(s.outcomes) outcomes "
                    + "(\(s.churns) churned)"
            )
        }
    }
}
