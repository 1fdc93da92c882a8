import Testing
import Workflows

/// The SSRF rule: what a callback URL may point at, read as a resolver and libcurl read it.
@Suite struct IPAddressTests {
    @Test(arguments: [
        ("127.0.0.1", IPAddress.Scope.loopback), ("127.255.0.9", .loopback), ("10.0.0.1", .private), ("172.16.0.1", .private),
        ("172.31.255.255", .private), ("172.32.0.1", .global), ("192.168.1.1", .private), ("169.254.169.254", .linkLocal),
        ("100.64.0.1", .sharedAddressSpace), ("100.127.255.255", .sharedAddressSpace), ("100.128.0.1", .global),
        ("0.0.0.0", .unspecified), ("224.0.0.1", .multicast), ("239.1.1.1", .multicast), ("255.255.255.255", .reserved),
        ("240.0.0.1", .reserved), ("8.8.8.8", .global), ("1.1.1.1", .global), ("11.0.0.1", .global),
    ])
    func ipv4Scopes(text: String, scope: IPAddress.Scope) throws {
        #expect(try #require(IPAddress(text)).scope == scope)
    }

    @Test(arguments: [
        ("::1", IPAddress.Scope.loopback), ("[::1]", .loopback), ("0:0:0:0:0:0:0:1", .loopback), ("::", .unspecified),
        ("fc00::1", .private), ("fd12:3456::1", .private), ("fe80::1", .linkLocal), ("fe80::1%eth0", .linkLocal),
        ("febf::1", .linkLocal), ("fec0::1", .private), ("ff02::1", .multicast), ("2001:db8::1", .global),
        ("2606:4700:4700::1111", .global),
        // IPv4 carried in IPv6: the IPv4 address decides.
        ("::ffff:127.0.0.1", .loopback), ("::ffff:7f00:1", .loopback), ("[::ffff:10.1.2.3]", .private),
        ("::ffff:169.254.169.254", .linkLocal), ("::ffff:8.8.8.8", .global), ("::127.0.0.1", .loopback),
        ("64:ff9b::10.0.0.1", .private), ("64:ff9b::8.8.8.8", .global), ("2002:7f00:1::", .loopback), ("2002:0808:0808::", .global),
    ])
    func ipv6Scopes(text: String, scope: IPAddress.Scope) throws {
        #expect(try #require(IPAddress(text)).scope == scope)
    }

    /// inet_aton's forms reach the loopback too: they must not pass as names.
    @Test(arguments: ["127.1", "0x7f.1", "0x7f000001", "2130706433", "017700000001", "0177.0.0.1", "127.0.1"])
    func ipv4ShorthandsAreRead(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.scope == .loopback)
    }

    @Test(arguments: ["example.com", "1.2.3.4.5", "256.1.1.1", "1.2.3", "::g", "1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "", "[::1", "08.1.1.1"])
    func namesAndNonsenseAreNotAddresses(text: String) {
        if text == "1.2.3" {
            // inet_aton reads it as 1.2.0.3.
            #expect(IPAddress(text)?.description == "1.2.0.3")
        } else {
            #expect(IPAddress(text) == nil)
        }
    }

    @Test func descriptions() throws {
        #expect(try #require(IPAddress("0x7f.1")).description == "127.0.0.1")
        #expect(try #require(IPAddress("2001:0db8:0:0:1:0:0:1")).description == "2001:db8::1:0:0:1")
        #expect(try #require(IPAddress("::ffff:127.0.0.1")).description == "::ffff:7f00:1")
        #expect(try #require(IPAddress("::")).description == "::")
    }

    @Test func networks() throws {
        let list = try NetworkAllowList.parse("127.0.0.0/8, ::1 hooks.internal,10.1.0.0/16").get()
        #expect(list.allows(host: "127.0.0.1", address: try #require(IPAddress("127.0.0.1"))))
        #expect(list.allows(host: "x", address: try #require(IPAddress("::ffff:127.0.0.9"))))
        #expect(list.allows(host: "x", address: try #require(IPAddress("::1"))))
        #expect(list.allows(host: "hooks.internal.", address: try #require(IPAddress("192.168.1.1"))))
        #expect(list.allows(host: "x", address: try #require(IPAddress("10.1.200.3"))))
        #expect(!list.allows(host: "x", address: try #require(IPAddress("10.2.0.1"))))
        #expect(!list.allows(host: "x", address: try #require(IPAddress("169.254.169.254"))))
        #expect(throws: CallbackURL.Problem.self) { try NetworkAllowList.parse("10.0.0.0/33").get() }
        #expect(throws: CallbackURL.Problem.self) { try NetworkAllowList.parse("a_b").get() }
    }
}

@Suite struct CallbackURLTests {
    @Test func readsHostAndPort() throws {
        let url = try CallbackURL.parse("HTTPS://Hooks.Example.com:8443/done?x=1").get()
        #expect(url.scheme == "https" && url.host == "hooks.example.com" && url.port == 8443 && url.address == nil)
        let plain = try CallbackURL.parse("http://example.com").get()
        #expect(plain.port == 80)
        let v6 = try CallbackURL.parse("http://[::1]:9000/x").get()
        #expect(v6.host == "::1" && v6.port == 9000 && v6.address?.scope == .loopback)
    }

    @Test(arguments: [
        ("ftp://example.com/", "http or https"), ("example.com/hook", "absolute"), ("http://user:pw@example.com/", "user name"),
        ("http://example.com@127.0.0.1/", "user name"), ("http://exa mple.com/", "printable"), ("http://example.com\\@evil/", "printable"),
        ("http:///path", "no host"), ("http://example.com:0/", "port"), ("http://example.com:70000/", "port"),
        ("http://[::1/", "unclosed"), ("http://ex_ample.com/", "DNS name"), ("http://%31%32%37.0.0.1/", "DNS name"),
        ("", "empty"), ("http://example.com/é", "printable"),
    ])
    func refused(text: String, reason: String) {
        guard case .failure(let problem) = CallbackURL.parse(text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(problem.description.contains(reason), "\(problem)")
    }

    @Test func lengthLimit() {
        let long = "https://example.com/" + String(repeating: "a", count: CallbackURL.maximumLength)
        #expect(throws: CallbackURL.Problem.self) { try CallbackURL.parse(long).get() }
        let fits = "https://example.com/" + String(repeating: "a", count: CallbackURL.maximumLength - 20)
        #expect(throws: Never.self) { try CallbackURL.parse(fits).get() }
    }

    @Test(arguments: [
        "http://127.0.0.1/", "http://10.0.0.7:8080/", "http://[::1]/", "http://[::ffff:169.254.169.254]/", "http://0x7f.1/",
        "http://2130706433/", "http://0.0.0.0/", "http://[fe80::1]/", "http://100.64.1.1/", "http://127.0.0.1./",
    ])
    func literalPrivateAddressesAreRefusedUnlessAllowed(text: String) throws {
        let url = try CallbackURL.parse(text).get()
        #expect(url.literalRefusal(allowList: NetworkAllowList()) != nil)
        let all = try NetworkAllowList.parse("0.0.0.0/0 ::/0").get()
        #expect(url.literalRefusal(allowList: all) == nil)
    }

    @Test func namesAndPublicAddressesPassTheLiteralCheck() throws {
        #expect(try CallbackURL.parse("https://8.8.8.8/x").get().literalRefusal(allowList: NetworkAllowList()) == nil)
        // A name is checked after it is resolved, at delivery.
        #expect(try CallbackURL.parse("http://localhost/x").get().literalRefusal(allowList: NetworkAllowList()) == nil)
    }
}

@Suite struct WebhookRetryScheduleTests {
    @Test func doublesFromTheBaseWithinItsJitter() throws {
        let schedule = WebhookRetrySchedule(base: .seconds(10), maximumDelay: .seconds(1000), maximumAttempts: 10)
        #expect(schedule.delay(afterAttempt: 1, jitter: 0) == .seconds(5))
        #expect(schedule.delay(afterAttempt: 1, jitter: 1) == .seconds(10))
        #expect(schedule.delay(afterAttempt: 2, jitter: 1) == .seconds(20))
        #expect(schedule.delay(afterAttempt: 3, jitter: 0.5) == .seconds(30))
        #expect(schedule.delay(afterAttempt: 5, jitter: 1) == .seconds(160))
    }

    @Test func cappedAndNeverBelowHalfItsStep() throws {
        let schedule = WebhookRetrySchedule(base: .seconds(10), maximumDelay: .seconds(60), maximumAttempts: 100)
        for attempt in 1..<100 {
            for jitter in [0.0, 0.3, 1.0, -5, 7, .nan] {
                let delay = try #require(schedule.delay(afterAttempt: attempt, jitter: jitter))
                let step = min(Duration.seconds(60), .seconds(10) * Double(1 << min(attempt - 1, 40)))
                #expect(delay >= step / 2 && delay <= step && delay <= .seconds(60))
            }
        }
    }

    @Test func theLastAttemptHasNoRetry() {
        let schedule = WebhookRetrySchedule(base: .seconds(1), maximumDelay: .seconds(10), maximumAttempts: 3)
        #expect(schedule.delay(afterAttempt: 2, jitter: 0) != nil)
        #expect(schedule.delay(afterAttempt: 3, jitter: 0) == nil)
        #expect(schedule.delay(afterAttempt: 4, jitter: 0) == nil)
        #expect(WebhookRetrySchedule(maximumAttempts: 1).delay(afterAttempt: 1, jitter: 0) == nil)
    }
}
