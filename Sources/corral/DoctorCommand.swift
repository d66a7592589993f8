import ArgumentParser
import CorralSandbox
import Foundation

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Report what this host supports and what Corral falls back to.",
        discussion: "Checks the kernel features the sandbox uses and the kernel's version against the minimum and the known sandbox-escape CVEs (the rule `corral serve` enforces; the version cannot show a distribution's backports), then starts one sandbox to prove they work together. Exits 1 when sandboxes cannot run here or the kernel check fails (unless --allow-unpatched-kernel)."
    )

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Flag(help: "Report a failed kernel check but do not exit 1 for it (as `corral serve --allow-unpatched-kernel` would start).")
    var allowUnpatchedKernel = false

    func run() throws {
        var support = HostSupport.detect()
        var trial = "not tried (a required feature is missing)"
        var trialOK = false
        if support.ready {
            do {
                let launcher = try SandboxLauncher()
                let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
                defer { close(devNull) }
                var spec = SandboxSpec(argv: ["/bin/true"])
                spec.limits.timeoutMilliseconds = 10_000
                let process = try launcher.launch(spec, stdio: SandboxStdio(stdin: devNull, stdout: devNull, stderr: devNull))
                let report = process.waitForExit()
                trialOK = report.exitCode == 0
                trial = trialOK ? String(format: "ok: /bin/true ran in a full sandbox in %.1f ms (clone3: %@, into cgroup: %@)",
                                         report.durationMs, process.usedClone3 ? "yes" : "no", process.spawnedIntoCgroup ? "yes" : "no")
                                : "failed: /bin/true exited \(report.exitCode)"
            } catch {
                trial = "failed: \(error)"
            }
            // Some answers (cgroup.kill on v2) are read from Corral's own parent group, which the trial made.
            support = HostSupport.detect()
        }
        let kernelChecks = KernelCheck.evaluateRunning()
        let kernelOK = KernelCheck.passes(kernelChecks)
        if json {
            struct Output: Encodable { var host: HostSupport; var kernelChecks: [KernelCheck.Item]; var sandbox: String; var ok: Bool }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(Output(host: support, kernelChecks: kernelChecks, sandbox: trial,
                                                    ok: trialOK && (kernelOK || allowUnpatchedKernel)))
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("kernel  \(support.kernel)")
            print("cgroups \(support.cgroupVersion ?? "none") (\(support.cgroupControllers.joined(separator: ", ")))")
            for f in support.features {
                let mark = f.available ? "ok  " : (f.required ? "FAIL" : "no  ")
                print("\(mark) \(f.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(f.detail)")
            }
            for item in kernelChecks {
                let mark = item.passed ? "ok  " : (allowUnpatchedKernel ? "WARN" : "FAIL")
                print("\(mark) \(item.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(item.detail)")
            }
            if !kernelOK {
                print("     the kernel check reads only the version: a distribution kernel may carry these fixes as backports (check its advisories; then --allow-unpatched-kernel)")
            }
            print("\(trialOK ? "ok  " : "FAIL") \("sandbox".padding(toLength: 18, withPad: " ", startingAt: 0)) \(trial)")
        }
        if !trialOK || !(kernelOK || allowUnpatchedKernel) { throw ExitCode(1) }
    }
}
