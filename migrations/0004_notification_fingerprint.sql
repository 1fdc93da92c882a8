-- The door's duplicate key no longer covers the whole body: a resend that MPS signs again
-- (a new Timestamp, hence a new Sign) is the same notification. Rows stored before this
-- migration keep their whole-body hash; they only ever collide with an identical body.
COMMENT ON COLUMN notifications.content_hash IS
    'SHA-256 of the body with the values of its top-level Timestamp and Sign blanked (NotificationFingerprint): one row per distinct notification';
