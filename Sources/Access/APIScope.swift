/// What an API key may do. Each scope includes the ones below it: `admin` ⊇ `write` ⊇ `read`.
///
/// - `read`: every `GET`.
/// - `write`: creating and cancelling jobs.
/// - `admin`: operator actions (resolve, resubmit, abandon, re-match, reapply, redeliver) and keys.
public enum APIScope: String, CaseIterable, Sendable, Codable, Hashable {
    case read
    case write
    case admin

    /// True when a key with this scope may do what needs `required`.
    public func allows(_ required: APIScope) -> Bool {
        rank >= required.rank
    }

    /// The order of inclusion; kept private so "is higher than" is asked only through `allows`.
    private var rank: Int {
        switch self {
        case .read: 0
        case .write: 1
        case .admin: 2
        }
    }
}
