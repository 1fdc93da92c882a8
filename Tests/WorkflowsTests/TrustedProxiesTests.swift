import Testing
import Workflows

@Suite struct TrustedProxiesTests {
    static func address(_ text: String) -> IPAddress? { IPAddress(strict: text) }

    static let loopbackAndPrivate = try! TrustedProxies(parsing: "127.0.0.1, ::1 10.0.0.0/8,fd00::/8")

    // MARK: Reading the list

    @Test func aListOfAddressesAndNetworksIsReadWithCommasOrSpaces() throws {
        let proxies = try TrustedProxies(parsing: " 127.0.0.1,::1  10.0.0.0/8,\t192.168.0.0/16, 2001:db8::/32 ,0.0.0.0/0 ")
        #expect(proxies.description == "127.0.0.1/32, ::1/128, 10.0.0.0/8, 192.168.0.0/16, 2001:db8::/32, 0.0.0.0/0")
        #expect(try TrustedProxies(parsing: "") == .none)
        #expect(try TrustedProxies(parsing: " , ") == .none)
    }

    @Test(arguments: [
        ("localhost", "not an IPv4 address"),
        ("127.1", "not an IPv4 address"),  // inet_aton's short form: not in configuration
        ("0x7f.0.0.1", "not an IPv4 address"),
        ("010.0.0.1", "not an IPv4 address"),  // octal to some readers
        ("256.0.0.1", "not an IPv4 address"),
        ("1.2.3.4.5", "not an IPv4 address"),
        ("[::1]", "not an IPv4 address"),
        ("fe80::1%eth0", "not an IPv4 address"),
        ("::g", "not an IPv4 address"),
        ("10.0.0.0/", "the prefix length must be a number from 0 to 32"),
        ("10.0.0.0/33", "the prefix length must be a number from 0 to 32"),
        ("10.0.0.0/-1", "the prefix length must be a number from 0 to 32"),
        ("10.0.0.0/08", "the prefix length must be a number from 0 to 32"),
        ("10.0.0.0/8/8", "the prefix length must be a number from 0 to 32"),
        ("::/129", "the prefix length must be a number from 0 to 128"),
        ("10.0.0.1/8", "did you mean 10.0.0.0/8, or 10.0.0.1 alone?"),
        ("2001:db8::1/32", "did you mean 2001:db8::/32, or 2001:db8::1 alone?"),
    ])
    func aBadEntryIsRefusedNamingItAndWhy(entry: String, reason: String) {
        #expect {
            try TrustedProxies(parsing: "127.0.0.1, \(entry), ::1")
        } throws: { error in
            guard let error = error as? IPNetwork.ParseError else { return false }
            return error.entry == entry && error.description.contains(entry) && error.reason.contains(reason)
        }
    }

    // MARK: Matching

    @Test func networksMatchTheirOwnFamilyByPrefix() throws {
        let proxies = try TrustedProxies(parsing: "10.1.0.0/16, 192.0.2.7, 2001:db8:aa00::/40, 0.0.0.0/0")
        let v4Only = try TrustedProxies(parsing: "10.1.0.0/16, 192.0.2.7, 2001:db8:aa00::/40")
        #expect(v4Only.contains(try #require(Self.address("10.1.255.254"))))
        #expect(!v4Only.contains(try #require(Self.address("10.2.0.1"))))
        #expect(v4Only.contains(try #require(Self.address("192.0.2.7"))))
        #expect(!v4Only.contains(try #require(Self.address("192.0.2.8"))))
        #expect(v4Only.contains(try #require(Self.address("2001:db8:aaff:1::9"))))
        #expect(!v4Only.contains(try #require(Self.address("2001:db8:ab00::1"))))
        // 0.0.0.0/0 is every IPv4 address and no IPv6 one.
        #expect(proxies.contains(try #require(Self.address("203.0.113.1"))))
        #expect(!proxies.contains(try #require(Self.address("2001:db9::1"))))
        #expect(!TrustedProxies.none.contains(try #require(Self.address("127.0.0.1"))))
    }

    @Test func anIPv4MappedPeerIsItsIPv4Address() throws {
        let mapped = try #require(Self.address("::ffff:127.0.0.1"))
        #expect(Self.loopbackAndPrivate.contains(mapped))
        #expect(mapped.unmapped.description == "127.0.0.1")
        #expect(Self.loopbackAndPrivate.client(peer: mapped, forwardedFor: [])?.description == "127.0.0.1")
        let untrusted = try #require(Self.address("::ffff:198.51.100.7"))
        #expect(TrustedProxies.none.client(peer: untrusted, forwardedFor: ["203.0.113.9"])?.description == "198.51.100.7")
    }

    // MARK: Choosing the client

    static let proxy = address("127.0.0.1")
    static let stranger = address("198.51.100.7")

    @Test func aPeerThatIsNotTrustedIsTheClientWhateverItsHeaderSays() {
        for header in [[], ["203.0.113.9"], ["127.0.0.1"], ["garbage"], ["203.0.113.9, 10.0.0.2"]] {
            #expect(Self.loopbackAndPrivate.client(peer: Self.stranger, forwardedFor: header) == Self.stranger)
            #expect(TrustedProxies.none.client(peer: Self.proxy, forwardedFor: header) == Self.proxy)
        }
    }

    @Test func anUnknownPeerHasNoClientAndTheHeaderIsNotBelieved() {
        #expect(Self.loopbackAndPrivate.client(peer: nil, forwardedFor: ["203.0.113.9"]) == nil)
    }

    @Test(arguments: [
        // nginx replacing the header: one entry, the client.
        (["203.0.113.9"], "203.0.113.9"),
        // Appended by a chain of our proxies: the right-most address that is not ours; what the
        // client put first (a forged 1.2.3.4) is left of it and never reached.
        (["1.2.3.4, 203.0.113.9, 10.0.0.2"], "203.0.113.9"),
        (["1.2.3.4, 203.0.113.9", "10.0.0.2, 10.9.9.9"], "203.0.113.9"),  // the header sent twice: one list
        (["2001:db8::5, fd00::1"], "2001:db8::5"),
        // Whitespace and empty elements are no hops.
        (["  203.0.113.9 ,, 10.0.0.2 ,"], "203.0.113.9"),
        // With ports, as some proxies write them.
        (["203.0.113.9:4711"], "203.0.113.9"),
        (["[2001:db8::5]:4711, 10.0.0.2"], "2001:db8::5"),
        (["[2001:db8::5]"], "2001:db8::5"),
        (["::ffff:203.0.113.9"], "203.0.113.9"),
        // No header, or only trusted hops: the left-most trusted hop reached.
        ([], "127.0.0.1"),
        ([""], "127.0.0.1"),
        (["10.0.0.5, 10.0.0.2"], "10.0.0.5"),
        // Something that is not an address: the last trusted hop before it, never what is left of it.
        (["203.0.113.9, unknown"], "127.0.0.1"),
        (["203.0.113.9, unknown, 10.0.0.2"], "10.0.0.2"),
        (["203.0.113.9, 127.1"], "127.0.0.1"),
        (["203.0.113.9, 10.0.0.2:99999"], "127.0.0.1"),
        (["203.0.113.9, [2001:db8::5"], "127.0.0.1"),
        (["203.0.113.9, [2001:db8::5]x"], "127.0.0.1"),
        (["203.0.113.9, fe80::1%eth0"], "127.0.0.1"),
        (["203.0.113.9, " + String(repeating: "9", count: 300)], "127.0.0.1"),
    ])
    func aTrustedPeersHeaderGivesTheRightMostUntrustedHop(header: [String], expected: String) {
        #expect(Self.loopbackAndPrivate.client(peer: Self.proxy, forwardedFor: header)?.description == expected)
    }

    @Test func strictAddressesAreTheFormsProxiesWrite() {
        for good in ["0.0.0.0", "255.255.255.255", "192.0.2.1", "::", "::1", "2001:db8::1", "::ffff:1.2.3.4", "2001:DB8::A"] {
            #expect(IPAddress(strict: good) != nil, "\(good)")
        }
        for bad in ["", "1", "1.2.3", "1.2.3.4.", ".1.2.3", "01.2.3.4", "1.2.3.256", "0x1.2.3.4", " 1.2.3.4", "[::1]", "::1%lo", "1::2::3", "٣.1.1.1"] {
            #expect(IPAddress(strict: bad) == nil, "\(bad)")
        }
    }
}
