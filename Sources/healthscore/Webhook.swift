import AccountHealth
import AccountHealthWebhooks
import ArgumentParser
import Foundation

/// `--webhook URL` and its companions (DESIGN §16): one POST per run, after the rows are written.
struct WebhookArguments: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Also POST the rows to this URL (Standard Webhooks v1): https, or plain http to loopback only.",
            valueName: "url"))
    var webhook: String?
    @Option(
        name: .customLong("webhook-secret-env"),
        help: ArgumentHelp(
            "The environment variable holding the signing secret (whsec_<base64>); the secret is never a flag.",
            valueName: "name"))
    var webhookSecretEnv: String?
    @Option(
        name: .customLong("webhook-format"),
        help: ArgumentHelp(
            "standard (signed Standard Webhooks event) or slack (Slack's incoming-webhook shape).",
            valueName: "format"))
    var webhookFormat: String = "standard"
    @Option(
        name: .customLong("ca-file"),
        help: ArgumentHelp(
            "A private CA (PEM) that the webhook's https certificate is checked against.",
            valueName: "file"))
    var caFile: String?

    /// Refuses a URL, a format or a secret before anything is read, looked up or sent (exit 64).
    func validate() throws {
        if webhook == nil {
            if webhookSecretEnv != nil || caFile != nil || webhookFormat != "standard" {
                throw ValidationError("--webhook-secret-env, --webhook-format and --ca-file go with --webhook URL")
            }
            return
        }
        guard WebhookOptions.Format(rawValue: webhookFormat) != nil else {
            throw ValidationError("--webhook-format takes standard or slack, not '\(webhookFormat)'")
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ValidationError("--ca-file \(caFile): no such readable file")
        }
        do {
            _ = try Webhooks.check(webhook!)
            _ = try options()
        } catch let e as WebhookError {
            throw ValidationError(e.description)
        }
    }

    /// The delivery options: the secret read from the environment (never printed).
    func options() throws -> WebhookOptions {
        var o = WebhookOptions(format: WebhookOptions.Format(rawValue: webhookFormat) ?? .standard, caFile: caFile)
        if let name = webhookSecretEnv {
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw WebhookError.missingSecret(variable: name)
            }
            o.secret = try WebhookSecret(value, variable: name)
        }
        return o
    }

    /// Sends the message when a URL was given, and says on standard error what happened; a failed delivery is
    /// exit 69 naming the host and the last status (the rows are already written).
    func send(_ message: WebhookMessage) throws {
        guard let webhook else { return }
        let options = try options()
        final class Outcome: @unchecked Sendable { var result: Result<WebhookDelivery, any Error>? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                outcome.result = .success(try await Webhooks.deliver(message, to: webhook, options: options))
            } catch {
                outcome.result = .failure(error)
            }
            done.signal()
        }
        done.wait()
        do {
            let d = try outcome.result!.get()
            note("webhook: delivered \(message.id) to \(d.host) (HTTP \(d.status), \(d.attempts) attempt(s))")
        } catch let e as WebhookError {
            note("error: \(e.description)")
            throw ExitCode(e.failureClass.exitStatus)
        }
    }
}
