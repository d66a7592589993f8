import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import CorralSandbox

@Suite struct SupervisorIdentityTests {
    @Test func namesRoundTrip() {
        let me = SupervisorIdentity.current
        #expect(me.pid == getpid() && me.startTime > 0)
        #expect(SupervisorIdentity.owner(ofSandbox: me.sandboxName(7)) == me)
    }

    @Test(arguments: ["sbx-1-2", "sbx-a-2-3", "other-1-2-3", "sbx-1-2-3-4", "sbx--2-3", "corral"])
    func foreignNamesHaveNoOwner(_ name: String) {
        #expect(SupervisorIdentity.owner(ofSandbox: name) == nil)
    }

    @Test func liveness() {
        #expect(SupervisorIdentity.isAlive(.current))
        // Same pid, another start time: a recycled pid is not the supervisor that made the group.
        #expect(!SupervisorIdentity.isAlive(SupervisorIdentity(pid: getpid(), startTime: SupervisorIdentity.current.startTime + 1)))
        #expect(!SupervisorIdentity.isAlive(SupervisorIdentity(pid: Int32.max, startTime: 1)))
    }
}
