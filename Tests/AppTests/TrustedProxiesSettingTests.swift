import App
import Foundation
import Testing
import Workflows

/// `MPSHOOK_TRUSTED_PROXIES`: read strictly, a bad entry refused naming the variable and the entry.
@Suite struct TrustedProxiesSettingTests {
    @Test func unsetBelievesNoProxyAndAListIsRead() throws {
        #expect(try AppConfiguration(environment: [:]).tuning.trustedProxies == .none)
        let configured = try AppConfiguration(environment: ["MPSHOOK_TRUSTED_PROXIES": "127.0.0.1, ::1, 10.0.0.0/8"])
        #expect(configured.tuning.trustedProxies.description == "127.0.0.1/32, ::1/128, 10.0.0.0/8")
    }

    @Test(arguments: ["localhost", "127.0.0.1, 10.0.0.1/8", "10.0.0.0/33", "127.1"])
    func aBadEntryIsRefusedNamingTheVariableAndTheEntry(value: String) {
        let error = #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["MPSHOOK_TRUSTED_PROXIES": value]) }
        #expect(error?.key == "MPSHOOK_TRUSTED_PROXIES")
        let entry = value.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? value
        #expect(error?.description.contains(entry) == true, "\(String(describing: error))")
    }
}
