// swift-tools-version: 6.2
import PackageDescription

// libFuzzer targets for mpshook's input-driven decoders, kept out of the main package: SwiftPM
// would otherwise link libFuzzer's `main` away and build every target (and tool) with the
// sanitizer flags. Built and run by deploy/faults/fuzz.sh:
//   swift build -c release --product <target> -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
let package = Package(
    name: "mpshook-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "mpshook", path: ".."),
    ],
    targets: [
        // The checks every target shares: the door's read path and its agreement with the applier.
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "MPS", package: "mpshook"),
                .product(name: "Correlation", package: "mpshook"),
                .product(name: "Hashing", package: "mpshook"),
            ]
        ),
        // The NotifyUrl door: UTF-8, NotificationVerifier.read (scanner, envelope, fingerprint),
        // the URL token and check (Sign, expiry); and the applier's reading of what it accepts.
        .executableTarget(name: "FuzzNotification", dependencies: ["FuzzSupport"]),
        // NotificationReport.decode, as the applier runs it on every stored body.
        .executableTarget(name: "FuzzNotificationReport", dependencies: ["FuzzSupport"]),
        // JobRequest.parse: what POST /v1/jobs and `mpshook submit` decode and check.
        .executableTarget(
            name: "FuzzJobRequest",
            dependencies: [
                "FuzzSupport",
                .product(name: "API", package: "mpshook"),
                .product(name: "MPS", package: "mpshook"),
            ]
        ),
    ]
)
