package auth

// A person signed in has a session (the governance service keeps it). Three parties
// must name it alike: the governance service, the REST gateway and the web console,
// which share one cookie on one origin.
const (
	// SessionCookie holds the session's id in the browser: HttpOnly, never in a body.
	SessionCookie = "tongdu_session"
	// SessionMetadata is the gRPC metadata key that carries a session's id: CreateSession
	// sends the new id in a response header of this name (never in the message), and
	// DeleteSession reads the session to end from it.
	SessionMetadata = "tongdu-session"
	// CSRFHeader carries a session's CSRF token on a cookie-authenticated REST write; the
	// console's forms carry it in the field CSRFField.
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf"
)
