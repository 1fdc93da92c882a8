/// Who made an API request: the key that authenticated it. Handlers check `scope` and record
/// `name` (with `keyId`) in audits; the secret never travels further than the check.
public struct APIPrincipal: Sendable, Equatable {
    /// The key's public id (12 lower-case hexadecimal digits), unique for ever.
    public var keyId: String
    /// The key's name, unique among keys that are not revoked.
    public var name: APIKeyName
    public var scope: APIScope

    public init(keyId: String, name: APIKeyName, scope: APIScope) {
        self.keyId = keyId
        self.name = name
        self.scope = scope
    }

    /// True when this key may do what needs `required`.
    public func allows(_ required: APIScope) -> Bool {
        scope.allows(required)
    }

    /// The actor recorded in audits: `key:<name>/<id>`. The id is there because a name can be
    /// reused after its key is revoked.
    public var actor: String {
        "key:\(name.rawValue)/\(keyId)"
    }
}
