import CorralPool
import Testing

/// The supervisor's fds budgeted like memory: environments are cut to what RLIMIT_NOFILE holds.
@Suite struct CapacityBudgetTests {
    @Test func environmentsAreCutToTheOpenFileLimit() {
        let budget = CapacityBudget(memoryMB: 10_000, environments: 50)
        // 1024 fds, 256 kept, 192 per environment: 4 environments; memory untouched.
        #expect(budget.limited(fileDescriptors: 1024, perEnvironment: 192, reserved: 256) == CapacityBudget(memoryMB: 10_000, environments: 4))
        // A generous limit leaves the configured count.
        #expect(budget.limited(fileDescriptors: 1_048_576, perEnvironment: 192, reserved: 256) == budget)
        // Not one environment fits: nil, and the server refuses to start.
        #expect(budget.limited(fileDescriptors: 300, perEnvironment: 192, reserved: 256) == nil)
    }
}
