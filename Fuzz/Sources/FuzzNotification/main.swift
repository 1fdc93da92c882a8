import FuzzSupport

// Input: a notification body as POSTed to the NotifyUrl. Every input goes through the door's
// read path (Door.read checks its properties); a body the door accepts must read the same for
// the applier. The input is also presented as a URL token, for the token check's parsing.
runFuzzer { data, count in
    let body = bytes(data, count)
    if let envelope = Door.read(body) {
        Agreement.check(body, door: envelope)
        Door.checkToken(String(decoding: body.prefix(128), as: UTF8.self), sessionContext: envelope.sessionContext)
    } else {
        Door.checkToken(String(decoding: body.prefix(128), as: UTF8.self), sessionContext: "mh1:000102030405060708090a0b0c0d0e0f")
    }
    return 0
}
