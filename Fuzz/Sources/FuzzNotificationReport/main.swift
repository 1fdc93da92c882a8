import FuzzSupport
import MPS

// Input: a stored notification body, as the applier decodes it. The decoder must never trap,
// must be deterministic, must refuse exactly what the door refuses, and must agree with the
// door (and with a general JSON parser) on every body the door accepts.
runFuzzer { data, count in
    let body = bytes(data, count)
    let first = try? NotificationReport.decode(body)
    let second = try? NotificationReport.decode(body)
    guard first == second else { violated("NotificationReport.decode is deterministic") }
    Agreement.checkReport(body)
    if let envelope = Door.read(body) {
        Agreement.check(body, door: envelope)
    }
    return 0
}
