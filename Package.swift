// swift-tools-version: 6.2
import PackageDescription

/// Settings every Swift target shares (applied by the loop at the end): upcoming features
/// that keep imports explicit, existentials spelled out and async code on the caller's executor.
let sharedSwiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let package = Package(
    name: "mpshook",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mpshook", targets: ["mpshook"]),
        .executable(name: "mps-emulator", targets: ["mps-emulator"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "Curl", targets: ["Curl"]),
        .library(name: "Hashing", targets: ["Hashing"]),
        .library(name: "MPS", targets: ["MPS"]),
        // For the fuzzers (Fuzz/Package.swift), which can only depend on products.
        .library(name: "Correlation", targets: ["Correlation"]),
        .library(name: "API", targets: ["API"]),
        .library(name: "Workflows", targets: ["Workflows"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        // YAML only: the optional configuration file is read as YAML, which JSON files are too.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
    ],
    targets: [
        // C libraries, each imported by exactly one Swift module.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // Wrappers: Swift APIs over the C libraries.
        .target(
            name: "Hashing",
            dependencies: ["CLibCrypto"]
        ),
        // The one rule that removes secrets from URLs before they are printed, shared by `Curl`
        // and the pure `MPS` (no dependency, so neither drags the other's libraries in).
        .target(name: "Redacting"),
        .target(
            name: "Curl",
            dependencies: [
                "CLibCurl",
                "Redacting",
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                "Hashing",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Correlation ids in SessionContext, and the per-step callback tokens in NotifyUrl.
        .target(
            name: "Correlation",
            dependencies: ["Hashing"]
        ),

        // The domain core, pure (no database, HTTP or Curl): job, step and output states with one
        // transition function each, merging a notification report, workflow definitions and their
        // validation, successor planning, and the one builder of the request a step sends.
        .target(
            name: "Workflows",
            dependencies: ["MPS", "Correlation", "Hashing", .product(name: "Yams", package: "Yams")]
        ),

        // API keys and scopes, pure: the key format, its parsing and constant-time check, names,
        // expiries, and the principal a request acts as.
        .target(
            name: "Access",
            dependencies: ["Hashing"]
        ),

        // SQL for jobs, steps, outputs, notifications and attempts: persists what Workflows decides.
        .target(
            name: "Store",
            dependencies: ["Postgres", "Hashing", "Workflows", "MPS", "Correlation", "Access"]
        ),

        // The Tencent Cloud MPS API, pure (no libcurl): models, validation, TC3 signing, error
        // classes, notification checks and reading. The door and Workflows stop here.
        .target(
            name: "MPS",
            dependencies: ["Hashing", "Redacting"]
        ),

        // The MPS API client over `Curl`: signed calls, responses read into `MPSError`s.
        .target(
            name: "MPSTransport",
            dependencies: ["MPS", "Curl"]
        ),

        // Submits pending steps to MPS: rate-limited across replicas, never blindly resent.
        // (Not "Dispatch": that is libdispatch's module name, which Foundation imports.)
        .target(
            name: "StepDispatch",
            dependencies: [
                "MPS",
                "Workflows",
                "MPSTransport",
                "Store",
                "Postgres",
                "Correlation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The "job finished" webhooks: the outbox's delivery worker (its own Curl thread pool),
        // Standard Webhooks signing, and the SSRF guard (resolve, check, pin).
        .target(
            name: "Webhooks",
            dependencies: [
                "Curl",
                "Hashing",
                "Store",
                "Workflows",
                "MPS",
                "Postgres",
                "Redacting",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Behind the NotifyUrl door: the group-committed raw store and the applier.
        .target(
            name: "Intake",
            dependencies: [
                "MPS",
                "Store",
                "Workflows",
                "Postgres",
                "Correlation",
                "Hashing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The HTTP side of the product: the REST API for dashboards and operators (its request
        // context, API-key authentication, the one problem+json type, the routes) and the NotifyUrl
        // door (verify, hand to the group commit, acknowledge). Job bodies are checked here too,
        // for `POST /v1/jobs` and `mpshook submit` alike.
        .target(
            name: "API",
            dependencies: [
                "MPS",
                "Workflows",
                "Store",
                "Intake",
                "Access",
                "Postgres",
                "Correlation",
                "Hashing",
                "Redacting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["openapi.yaml"]
        ),

        // A faithful stand-in for MPS, for the demo, tests and benchmarks.
        .target(
            name: "MPSEmulator",
            dependencies: [
                "MPS",
                "MPSTransport",
                "Curl",
                "Redacting",
                "Hashing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "mps-emulator",
            dependencies: [
                "MPSEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The service.
        .target(
            name: "App",
            dependencies: [
                "MPS",
                "Workflows",
                "MPSTransport",
                "Redacting",
                "Access",
                "Store",
                "Correlation",
                "Intake",
                "API",
                "StepDispatch",
                "Webhooks",
                "Postgres",
                "Curl",
                "Hashing",
                .product(name: "Hummingbird", package: "hummingbird"),
                // The HTTP/1 child channel and accept gate under the connection guard.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                // FilePath for the configuration file's provider; Yams to list the file's keys.
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "mpshook",
            dependencies: ["App"]
        ),

        // The benchmark's helper (deploy/bench/run.sh): preloads steps and writes what the load
        // generator needs to send verified notifications. Not shipped.
        .executableTarget(
            name: "mpshook-bench",
            dependencies: [
                "Correlation", "Hashing", "MPS", "Postgres", "Store", "Workflows",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "deploy/bench/mpshook-bench"
        ),

        // Shared helpers for tests (child processes, reserved ports, captured logs, the planner's
        // hand-built workflows), not shipped.
        .target(
            name: "TestSupport",
            dependencies: ["MPS", "Workflows", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"
        ),

        // Tests: one target per module, plus the integration tests that need a real PostgreSQL.
        .testTarget(name: "HashingTests", dependencies: ["Hashing"]),
        .testTarget(name: "AccessTests", dependencies: ["Access", "Hashing"]),
        .testTarget(name: "RedactingTests", dependencies: ["Redacting"]),
        .testTarget(
            name: "CurlTests",
            dependencies: [
                "Curl",
                "TestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "WorkflowsTests", dependencies: ["Workflows", "MPS", "Correlation", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CorrelationTests", dependencies: ["Correlation", "Hashing"]),
        .testTarget(name: "WebhooksTests", dependencies: ["Webhooks", "Workflows", "Curl", "Hashing", "Store", "MPS"]),
        .testTarget(name: "StepDispatchTests", dependencies: ["StepDispatch", "Correlation", "MPS"]),
        .testTarget(
            name: "APITests",
            dependencies: [
                "API", "Access", "Intake", "MPS", "Workflows", "Store", "Postgres", "Correlation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "IntakeTests", dependencies: ["Intake"]),
        .testTarget(name: "MPSTests", dependencies: ["MPS", "Hashing"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MPSTransportTests", dependencies: ["MPSTransport", "MPS", "Curl"]),
        .testTarget(
            name: "MPSEmulatorTests",
            dependencies: [
                "MPSEmulator",
                "MPS",
                "MPSTransport",
                "Curl",
                "Hashing",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "AppTests",
            dependencies: [
                "App",
                "Workflows",
                "Postgres",
                "Store",
                "StepDispatch",
                "Intake",
                "API",
                "Correlation",
                "MPS",
                "MPSTransport",
                "MPSEmulator",
                "Hashing",
                "Curl",
                "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "App",
                "Access",
                "Workflows",
                "Postgres",
                "Store",
                "StepDispatch",
                "Webhooks",
                "Intake",
                "API",
                "Correlation",
                "MPS",
                "MPSTransport",
                "MPSEmulator",
                "Hashing",
                "Curl",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + sharedSwiftSettings
}
