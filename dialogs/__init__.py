"""The flows: convene, RSVP, meeting, record, review, escalate. No botbuilder here."""
