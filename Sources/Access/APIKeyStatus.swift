public import Foundation

/// Where a key stands at a given instant. The one rule of which keys authenticate: only an
/// `active` one does. (The store's `last_used_at` write repeats it as a guard, so a refused key
/// is never recorded as used; its tests hold the two together.)
public enum APIKeyStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case active
    /// Its `expiresAt` has come (an expiry equal to `now` counts as come).
    case expired
    /// A person revoked it. Revoked wins over expired: it is the more deliberate fact.
    case revoked

    /// The status of a key with these dates at `now`.
    public init(expiresAt: Date?, revokedAt: Date?, now: Date) {
        if revokedAt != nil {
            self = .revoked
        } else if let expiresAt, expiresAt <= now {
            self = .expired
        } else {
            self = .active
        }
    }
}
