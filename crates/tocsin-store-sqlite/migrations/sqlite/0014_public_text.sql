-- Public text is public on purpose.

-- A title a person wrote for the public (status page, feeds, customer mail). NULL: nobody has,
-- and the public sees the component's name and the severity's wording instead of `title`, which
-- often carries an alert's own words.
ALTER TABLE incidents ADD COLUMN public_title TEXT;

-- The subscriber a customer notice is mailed to (audience "subscribers"), so the mail can carry
-- that subscriber's unsubscribe link and an unsubscription can stop mail already queued.
ALTER TABLE comms_mail ADD COLUMN subscriber_id INTEGER REFERENCES subscribers (id);
CREATE INDEX comms_mail_by_subscriber ON comms_mail (subscriber_id) WHERE subscriber_id IS NOT NULL;
