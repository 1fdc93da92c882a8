/// The known name a misspelt one most likely meant, for "did you mean …?" in messages. One rule
/// for every reader that refuses unknown names (MPS request fields, workflow definition fields).
public enum NearMiss {
    /// The known name closest to `name`: equal ignoring case, or at most 2 edits away (3 for long names).
    public static func suggestion(for name: String, among names: [String]) -> String? {
        if let sameIgnoringCase = names.first(where: { $0.lowercased() == name.lowercased() }) {
            return sameIgnoringCase
        }
        let limit = name.count >= 12 ? 3 : 2
        let scored = names.map { ($0, Self.editDistance($0.lowercased(), name.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else { return nil }
        return best.0
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let left = Array(lhs)
        let right = Array(rhs)
        if left.isEmpty { return right.count }
        if right.isEmpty { return left.count }
        var previous = Array(0...right.count)
        var current = Array(repeating: 0, count: right.count + 1)
        for i in 1...left.count {
            current[0] = i
            for j in 1...right.count {
                let substitution = previous[j - 1] + (left[i - 1] == right[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[right.count]
    }
}
