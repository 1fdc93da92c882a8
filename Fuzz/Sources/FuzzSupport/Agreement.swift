import Foundation
public import MPS

/// The door and the applier must read a notification the same way: the door stores what it
/// read (EventType, SessionContext, after checking the token for that SessionContext), and the
/// applier later decodes the stored body with ``NotificationReport``. A body the door accepts
/// must decode for the applier with the very envelope the door checked. And since both now
/// share one reader, the envelope is also compared with an independent JSON parser
/// (Foundation's `JSONSerialization`), so "one reading" means the reading any JSON reader gives.
public enum Agreement {
    /// `NotificationReport.decode` throws exactly where `NotificationVerifier.parse` refuses,
    /// with the same reason, and otherwise carries parse's envelope.
    public static func checkReport(_ body: [UInt8]) {
        let parsed = NotificationVerifier.parse(body)
        do {
            let report = try NotificationReport.decode(body)
            guard case .success(let envelope) = parsed, report.envelope == envelope else {
                violated("the applier's report carries the door's envelope", "report: \(report.envelope), door: \(parsed)")
            }
        } catch {
            guard case .failure(let rejection) = parsed, rejection == error else {
                violated("the applier refuses exactly what the door refuses, for the same reason", "applier: \(error), door: \(parsed)")
            }
        }
    }

    /// For a body the door accepted (`envelope`): the applier reads the same envelope, and so
    /// does a general JSON parser.
    public static func check(_ body: [UInt8], door envelope: NotificationEnvelope) {
        let report: NotificationReport
        do {
            report = try NotificationReport.decode(body)
        } catch {
            violated("the applier decodes every body the door accepted", "\(error)")
        }
        guard report.envelope == envelope else {
            violated("the door and the applier read the same envelope", "door: \(envelope), applier: \(report.envelope)")
        }
        checkWithFoundation(body, envelope: envelope)
    }

    /// The envelope as `JSONSerialization` reads it: the `Response` object when there is one,
    /// else the top level; EventType and SessionContext as strings.
    static func checkWithFoundation(_ body: [UInt8], envelope: NotificationEnvelope) {
        // Foundation refuses some valid JSON (a number beyond Double's range, which RFC 8259
        // lets a parser refuse): nothing to compare then.
        guard let top = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return }
        let fields = (top["Response"] as? [String: Any]) ?? top
        guard fields["EventType"] as? String == envelope.eventType else {
            violated("Foundation reads the door's EventType", "door: \(envelope.eventType), Foundation: \(String(describing: fields["EventType"]))")
        }
        guard fields["SessionContext"] as? String == envelope.sessionContext else {
            violated("Foundation reads the door's SessionContext", "door: \(envelope.sessionContext)")
        }
        if let sign = envelope.sign, fields["Sign"] as? String != sign {
            violated("Foundation reads the door's Sign")
        }
    }
}
