import ArgumentParser
import Foundation
import Logging
import MPSEmulator

/// `mps-emulator`: the MPS stand-in, alone, for the demo and for poking at by hand.
@main
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mps-emulator",
        abstract: "Runs a local stand-in for Tencent Cloud MPS (BatchProcessMedia, DescribeBatchTaskDetail, URL callbacks).",
        discussion: """
            Keys: TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY when set, else the built-in example pair \
            (printed at start). Inspect and inject faults at /_emulator/calls, /_emulator/callbacks, \
            /_emulator/faults (GET, or PUT JSON naming the faults wanted: the others go off), /_emulator/reset.

            Input URLs choose their outcome: one containing 'fail-unless-auto' fails unless VideoSrcLanguage is \
            'auto'; 'flaky' fails the first time this process runs that URL and succeeds later; 'fail' always \
            fails. With VideoSrcLanguage 'auto', the detected language is the one a 'lang=xx' or 'lang-xx' \
            marker in the URL names, else 'en'.
            """
    )

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 9300

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Seconds from acceptance to a task's final result.")
    var processingSeconds = 2.0

    @Option(help: "Share (0…1) of outputs that fail; URLs with 'fail', 'flaky' or 'fail-unless-auto' decide for themselves.")
    var failureShare = 0.0

    @Option(help: "Share (0…1) of callbacks never sent.")
    var dropShare = 0.0

    @Option(help: "Share (0…1) of callbacks sent twice (the copy 1.1 s later, signed again).")
    var duplicateShare = 0.0

    @Flag(help: "Send each Change-mode task's notifications newest first.")
    var reorder = false

    @Option(help: "BatchProcessMedia calls allowed per second.")
    var rateLimit = 20

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let secretId = environment["TENCENTCLOUD_SECRET_ID"].flatMap { $0.isEmpty ? nil : $0 } ?? EmulatorConfiguration.defaultSecretId
        let secretKey = environment["TENCENTCLOUD_SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 } ?? EmulatorConfiguration.defaultSecretKey
        var logger = Logger(label: "mps-emulator")
        logger.logLevel = .info
        let configuration = EmulatorConfiguration(
            keys: [secretId: secretKey],
            processingTime: .milliseconds(Int64(max(0, processingSeconds) * 1000)),
            failureShare: failureShare,
            rateLimit: rateLimit,
            faults: EmulatorFaults(dropShare: dropShare, duplicateShare: duplicateShare, reorder: reorder)
        )
        let usesDefaultKey = secretKey == EmulatorConfiguration.defaultSecretKey
        try await EmulatorServer.runUntilSignalled(configuration: configuration, host: host, port: port, logger: logger) { endpoint in
            let lines = [
                "mps-emulator listening on \(endpoint)",
                "  TENCENTCLOUD_SECRET_ID=\(secretId)",
                "  TENCENTCLOUD_SECRET_KEY=\(usesDefaultKey ? secretKey : "(from your environment)")",
                "  MPSHOOK_MPS_ENDPOINT=\(endpoint)",
                "  callbacks go to loopback NotifyUrls only",
            ]
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
    }
}
