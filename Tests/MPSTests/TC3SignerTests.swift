import Hashing
import Testing

@testable import MPS

/// The vectors of mps-reference §6, byte for byte.
@Suite struct TC3SignerTests {
    static let cvmCredentials = TencentCloudCredentials(
        secretId: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", secretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
    )

    /// The exact 580-byte body of vector C.
    static let batchBody = #"{"InputInfo":[{"Type":"URL","UrlInputInfo":{"Url":"https://example.com/videos/demo.mp4"}}],"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"subs-1250000000","Region":"ap-guangzhou"}},"OutputDir":"/subtitles/","SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":2,"VideoSrcLanguage":"en","SubtitleFormat":"vtt","TranslateSwitch":"ON","TranslateDstLanguage":"zh"}},"TaskNotifyConfig":{"NotifyType":"URL","NotifyMode":"Finish","NotifyUrl":"https://hooks.example.com/mps/notify","NotifyKey":"example-notify-key"},"TasksPriority":0,"SessionContext":"job-42"}"#

    @Test func vectorAOfficialCVMExample() {
        let signer = TC3Signer(credentials: Self.cvmCredentials, service: "cvm")
        let body = #"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#
        let request = TC3Signer.Request(
            host: "cvm.tencentcloudapi.com", contentType: "application/json; charset=utf-8",
            payload: Array(body.utf8), timestamp: 1_551_113_065
        )
        #expect(Hex.encode(SHA256.hash(request.payload)) == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
        #expect(Hex.encode(SHA256.hash(Array(signer.canonicalRequest(for: request).utf8)))
            == "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")
        #expect(signer.signature(for: request) == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")
        #expect(signer.authorization(for: request)
            == "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")
    }

    @Test func vectorAIntermediateKeys() {
        let signer = TC3Signer(credentials: Self.cvmCredentials, service: "cvm")
        let date = TC3Signer.utcDate(1_551_113_065)
        #expect(date == "2019-02-25")
        let secretDate = HMACSHA256.authenticationCode(for: Array(date.utf8), key: Array("TC3Gu5t9xGARNpq86cd98joQYCN3EXAMPLE".utf8))
        #expect(Hex.encode(secretDate) == "d1308c81fe71cfd4e06437bbc067b2b8a3d2d8c0e375d547f15c41d5214b395a")
        #expect(Hex.encode(signer.signingKey(date: date)) == "ac658d5dde49e9bfdd14e04e062f66b05d9f637d44b8a8d845327d4a77f666b1")
    }

    @Test func vectorAWithTheMaskedKeysOfNewerDocRevisions() {
        let masked = TencentCloudCredentials(
            secretId: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", secretKey: "Gu5t9xGARNpq86cd98joQYCN3*******"
        )
        let body = #"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#
        let request = TC3Signer.Request(
            host: "cvm.tencentcloudapi.com", contentType: "application/json; charset=utf-8",
            payload: Array(body.utf8), timestamp: 1_551_113_065
        )
        #expect(TC3Signer(credentials: masked, service: "cvm").signature(for: request)
            == "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c")
    }

    @Test func vectorBMinimalPost() {
        let signer = TC3Signer(credentials: TencentCloudCredentials(secretId: "MY_TC_SECRET_ID", secretKey: "MY_TC_SECRET_KEY"), service: "cvm")
        let request = TC3Signer.Request(host: "cvm.tencentcloudapi.com", payload: Array("{}".utf8), timestamp: 1_000_000_000)
        #expect(Hex.encode(SHA256.hash(request.payload)) == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        #expect(TC3Signer.utcDate(1_000_000_000) == "2001-09-09")
        #expect(signer.signature(for: request) == "2c0b761dcdeacac29ac9d135f9f22b0fa52d4536d8b7727a8a515935c47eaea7")
    }

    @Test func vectorCBatchProcessMediaFromTheOfficialSDK() {
        let signer = TC3Signer(credentials: Self.cvmCredentials)
        let payload = Array(Self.batchBody.utf8)
        #expect(payload.count == 580)
        let request = TC3Signer.Request(host: "mps.tencentcloudapi.com", payload: payload, timestamp: 1_700_000_000)
        #expect(Hex.encode(SHA256.hash(payload)) == "f9a2bec074d3d6c24af394ec00fc7c7479789deab73b778610eaae59fc1312ab")
        #expect(signer.canonicalRequest(for: request)
            == "POST\n/\n\ncontent-type:application/json\nhost:mps.tencentcloudapi.com\n\ncontent-type;host\nf9a2bec074d3d6c24af394ec00fc7c7479789deab73b778610eaae59fc1312ab")
        #expect(signer.stringToSign(for: request)
            == "TC3-HMAC-SHA256\n1700000000\n2023-11-14/mps/tc3_request\n7b570e37236ba8afeee3b01503cc2f1b7a58cfd0170d04473cb0dc8e764d620f")
        let secretDate = HMACSHA256.authenticationCode(for: Array("2023-11-14".utf8), key: Array("TC3Gu5t9xGARNpq86cd98joQYCN3EXAMPLE".utf8))
        #expect(Hex.encode(secretDate) == "887d0077ac19ed5cba18590a4fe79f7e1d851a9b05bd4e02a3af730156456978")
        #expect(Hex.encode(HMACSHA256.authenticationCode(for: Array("mps".utf8), key: secretDate))
            == "e478d6b17de1d081435413fcb2156ea4385781842e67cf448b74c010cea9ba9a")
        #expect(Hex.encode(signer.signingKey(date: "2023-11-14")) == "1eb04ec4af9d7e2b0d4b77596855aae95dd3c63a8afd0c9a0bccf8cfcbdd9a7f")
        #expect(signer.authorization(for: request)
            == "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2023-11-14/mps/tc3_request, SignedHeaders=content-type;host, Signature=1b808a819308af249d31181cceea37c415efdd95b9ba89db037ca3b3b7a25d83")
    }

    @Test func vectorCVariants() {
        let signer = TC3Signer(credentials: Self.cvmCredentials)
        let payload = Array(Self.batchBody.utf8)
        let charset = TC3Signer.Request(
            host: "mps.tencentcloudapi.com", contentType: "application/json; charset=utf-8", payload: payload, timestamp: 1_700_000_000
        )
        #expect(signer.signature(for: charset) == "d12619be120da6ea5a59cb00bc4d877cbc9cda6c9393e7e2795c164c53124979")
        let international = TC3Signer.Request(host: "mps.intl.tencentcloudapi.com", payload: payload, timestamp: 1_700_000_000)
        #expect(signer.signature(for: international) == "7f114af9e0b331cbe626a0df637d7dd157912134ad47fb60833d075592c5ba5d")
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01"), (86_399, "1970-01-01"), (86_400, "1970-01-02"),
        (951_782_400, "2000-02-29"), (1_700_000_000, "2023-11-14"), (-1, "1969-12-31"),
    ])
    func utcDates(timestamp: Int64, date: String) {
        #expect(TC3Signer.utcDate(timestamp) == date)
    }

    @Test func credentialsComeFromTheEnvironmentAndNeverPrintTheKey() throws {
        let credentials = try #require(TencentCloudCredentials.fromEnvironment([
            "TENCENTCLOUD_SECRET_ID": "AKIDexample", "TENCENTCLOUD_SECRET_KEY": "super-secret-key",
            "TENCENTCLOUD_SESSION_TOKEN": "sts-token-value",
        ]))
        #expect(credentials.secretId == "AKIDexample")
        #expect(credentials.sessionToken == "sts-token-value")
        for text in [credentials.description, "\(credentials)", String(reflecting: credentials)] {
            #expect(!text.contains("super-secret-key"))
            #expect(!text.contains("sts-token-value"))
        }
        #expect(TencentCloudCredentials.fromEnvironment(["TENCENTCLOUD_SECRET_ID": "AKIDexample"]) == nil)
        #expect(TencentCloudCredentials.fromEnvironment([:]) == nil)
    }

    @Test func endpointsParseHostsAndRefuseEverythingElse() throws {
        #expect(MPSEndpoint.china.host == "mps.tencentcloudapi.com")
        #expect(MPSEndpoint.international.url == "https://mps.intl.tencentcloudapi.com/")
        #expect(MPSEndpoint.region("ap-guangzhou")?.host == "mps.ap-guangzhou.tencentcloudapi.com")
        #expect(MPSEndpoint.region("ap guangzhou") == nil)
        let emulator = try #require(MPSEndpoint("http://127.0.0.1:9123"))
        #expect(emulator.host == "127.0.0.1:9123")
        #expect(emulator.url == "http://127.0.0.1:9123/")
        for bad in ["ftp://x", "https://", "https://a/b", "https://u:p@host", "https://h?x=1", "mps.tencentcloudapi.com"] {
            #expect(MPSEndpoint(bad) == nil, "\(bad) should be refused")
        }
    }
}
