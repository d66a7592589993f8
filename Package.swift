// swift-tools-version:6.0
import PackageDescription

// Dependencies flow one way: C shims -> CorralSystem -> CorralCgroups / CorralSeccomp -> CorralSandbox -> corral.
let package = Package(
    name: "corral",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "corral", targets: ["corral"]),
        .library(name: "CorralSandbox", targets: ["CorralSandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Already built for async-http-client; named here for TLS on the API listener and its forwarders.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C: the clone-to-execve child sequence and missing kernel definitions. Symbols are prefixed corral_.
        .target(name: "CCorral"),
        // Debian's libseccomp and libcap, found with pkg-config.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        // Swift wrappers over syscalls: the only place errno is read.
        .target(name: "CorralSystem", dependencies: ["CCorral"]),
        // cgroup v1 and v2 backends behind one interface.
        .target(name: "CorralCgroups", dependencies: ["CorralSystem"]),
        // Seccomp profiles (files under config/seccomp) compiled to BPF with libseccomp.
        .target(name: "CorralSeccomp", dependencies: ["CorralSystem", "CSeccomp"]),
        // SandboxSpec -> a running, isolated process tree.
        .target(name: "CorralSandbox", dependencies: ["CCorral", "CCap", "CorralSystem", "CorralCgroups", "CorralSeccomp"]),
        // Functions, versions and aliases: names, ARNs, settings and Lambda's rules for them (pure).
        .target(name: "CorralFunctions"),
        // Code packages: zips checked, stored by SHA-256 and unpacked once, read-only.
        .target(name: "CorralCode", dependencies: [
            "CorralSystem",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        // SQLite (WAL) through GRDB: functions, versions, aliases; schema migrations.
        .target(name: "CorralStore", dependencies: ["CorralFunctions", .product(name: "GRDB", package: "GRDB.swift")]),
        // Execution environments: the Runtime API served inside each sandbox, Corral's runtime bootstraps,
        // and invocations with their logs.
        .target(name: "CorralRuntime", dependencies: [
            "CorralSandbox", "CorralSeccomp", "CorralEgress", "CorralFunctions", "CorralStore", "CorralPool", "CorralMetrics",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Egress for sandboxes: a per-sandbox HTTP and CONNECT proxy on the sandbox's loopback that lets
        // through exactly the destinations (host:port patterns) the function's role grants with net:Connect.
        .target(name: "CorralEgress", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The warm pool's pure parts: execution environments' lifecycle and the pool's ledger (reserved
        // concurrency, capacity, eviction, fair share), with no I/O and an injected clock.
        .target(name: "CorralPool"),
        // Prometheus metrics (/metrics): counters and histograms of invocations, gauges of the pool.
        .target(name: "CorralMetrics", dependencies: [.product(name: "Prometheus", package: "swift-prometheus")]),
        // IAM-style policy documents: parsing, ARNs, evaluation as AWS documents it, Lambda's resource
        // policy statements, and execution roles compiled to sandbox grants. Pure: no I/O, no kernel.
        .target(name: "CorralPolicy"),
        // AWS Signature Version 4 verification (pure; the tenancy issue wires it into the API).
        .target(name: "CorralAuth", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // HTTP: the Lambda-compatible API on Hummingbird; errors become Lambda's shapes here and only here.
        .target(name: "CorralAPI", dependencies: [
            "CorralFunctions", "CorralStore", "CorralCode", "CorralRuntime", "CorralPool", "CorralMetrics", "CorralAuth", "CorralPolicy", "CorralEgress", "CorralSystem",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "corral", dependencies: [
            "CorralSandbox", "CorralAPI", "CorralRuntime", "CorralStore", "CorralCode", "CorralPool", "CorralMetrics", "CorralAuth", "CorralPolicy",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "CorralCgroupsTests", dependencies: ["CorralCgroups"]),
        .testTarget(name: "CorralSeccompTests", dependencies: ["CorralSeccomp"]),
        .testTarget(name: "CorralSandboxTests", dependencies: ["CorralSandbox"]),
        .testTarget(name: "CorralFunctionsTests", dependencies: ["CorralFunctions"]),
        .testTarget(name: "CorralStoreTests", dependencies: ["CorralStore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "CorralAuthTests", dependencies: ["CorralAuth"]),
        .testTarget(name: "CorralPolicyTests", dependencies: ["CorralPolicy"], resources: [.copy("EvaluationCorpus.json")]),
        .testTarget(name: "CorralPoolTests", dependencies: ["CorralPool"]),
        .testTarget(name: "CorralEgressTests", dependencies: [
            "CorralEgress",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "CorralRuntimeTests", dependencies: [
            "CorralRuntime", "CorralSandbox", "CorralStore", "CorralFunctions", "CorralPool", .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "CorralAPITests", dependencies: [
            "CorralAPI", "CorralStore", "CorralCode", "CorralAuth", "CorralEgress", "CorralPolicy",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .testTarget(name: "CorralCodeTests", dependencies: ["CorralCode", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // Needs root: runs the real `corral` binary and probes the sandbox from inside.
        .testTarget(name: "CorralPrivilegedTests", dependencies: ["CorralSandbox", "CorralSeccomp"]),
        // The real `corral` binary run as a user runs it, for commands that need no root (`corral policy`).
        .testTarget(name: "CorralCLITests", dependencies: []),
        // Needs root and boto3: the real `corral serve` driven by boto3 (scenario.py, roles.py).
        .testTarget(name: "CorralServerTests", dependencies: [], exclude: ["scenario.py", "roles.py", "tls.py", "hammer.py"]),
    ]
)
