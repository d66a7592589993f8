import CorralSandbox
import Testing

@Suite struct HostIDPoolTests {
    @Test("the default pool: 4094 blocks of 65536 from 0x70000000, below systemd's foreign range and 2^31")
    func defaults() throws {
        let pool = HostIDPool.default
        #expect(pool.ids == 0x7000_0000...0x7FFD_FFFF)
        #expect(pool.blockStart(1) == 0x7001_0000 && pool.blockStart(4093) == 0x7FFD_0000 && pool.blockStart(4094) == nil)
        #expect(pool.blockIndex(startingAt: 0x7001_0000) == 1 && pool.blockIndex(startingAt: 0x7001_0001) == nil && pool.blockIndex(startingAt: 100_000) == nil)
        #expect(pool.operatorIdentity == SandboxIdentity(hostUID: 0x7000_0000, hostGID: 0x7000_0000))
        #expect(SandboxIdentity.tenant(block: 0x7001_0000, slot: 7) == SandboxIdentity(hostUID: 0x7001_0007, hostGID: 0x7001_0000))
    }

    @Test("pools that are empty, start among system ids or reach 2^31 are invalid")
    func invalidPools() {
        for pool in [HostIDPool(first: 0x7000_0000, blocks: 1), HostIDPool(first: 1000, blocks: 4), HostIDPool(first: 0x7FFF_0000, blocks: 2)] {
            #expect(pool.ids == nil, "\(pool)")
            #expect(pool.conflicts(passwd: "", group: "", subuid: "", subgid: "").count == 1)
        }
    }

    @Test("conflicts name every user, group and subordinate range inside the pool, and nothing outside it")
    func conflicts() {
        let pool = HostIDPool(first: 200_000, blocks: 2) // 200000-331071
        let passwd = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\nsvc:x:250000:100:svc:/:/bin/false\nbroken line\n"
        let group = "root:x:0:\nbig:x:331071:\nabove:x:331072:\n"
        let subuid = "alice:100000:65536\nbob:165536:65536\ncarol:400000:65536\n"
        let subgid = "alice:331071:1\n"
        let found = pool.conflicts(passwd: passwd, group: group, subuid: subuid, subgid: subgid)
        #expect(found == ["/etc/passwd gives id 250000 to svc", "/etc/group gives id 331071 to big",
                          "/etc/subuid gives 165536-231071 to bob", "/etc/subgid gives 331071-331071 to alice"])
        // Oracle: files with nothing in the pool give nothing.
        #expect(pool.conflicts(passwd: "root:x:0:0::/:/bin/sh\n", group: "", subuid: "alice:100000:65536\n", subgid: "").isEmpty)
    }
}
