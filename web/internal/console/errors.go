package console

import (
	"math"
	"net/http"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tongdu/platform/ratelimit"
	"tongdu/web/internal/i18n"
	"tongdu/web/internal/view"
)

// fail answers a call the services refused or could not take with a page that says so
// in the visitor's language: not signed in (go sign in), not allowed, not found, busy or
// away (try again shortly). Anything else is logged and shown as an error without its
// detail, which may name records the visitor should not learn of.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	st := status.Convert(err)
	key, code := "error.internal", http.StatusInternalServerError
	switch st.Code() {
	case codes.Unauthenticated:
		http.SetCookie(w, sessionCookie("", -1, r.TLS != nil))
		http.Redirect(w, r, "/signin?next="+r.URL.RequestURI(), http.StatusSeeOther)
		return
	case codes.PermissionDenied:
		key, code = "error.denied", http.StatusForbidden
	case codes.NotFound:
		key, code = "error.notfound", http.StatusNotFound
	case codes.ResourceExhausted:
		key, code = "error.busy", http.StatusTooManyRequests
		if d, ok := ratelimit.RetryDelay(st); ok {
			w.Header().Set("Retry-After", ratelimit.RetryAfter(d))
		}
	case codes.Unavailable, codes.DeadlineExceeded:
		key, code = "error.unavailable", http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	default:
		s.log.ErrorContext(r.Context(), "console call failed", "path", r.URL.Path, "code", st.Code().String(), "err", st.Message())
	}
	p := s.page(r, key+".title", "")
	s.render(w, r, code, view.Message(p, p.Title, p.T(key+".text")))
}

// formErrors turns a refusal into a form's errors: each field violation beside its
// field (the API names fields by their JSON path, as the form's inputs are named), a
// rule's refusal (its reason, in the catalog when there) above the form. ok is false
// for an error that is not about the form (the caller shows it with fail).
func formErrors(lang i18n.Lang, err error) (errs view.Errors, ok bool) {
	st := status.Convert(err)
	switch st.Code() {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.AlreadyExists, codes.Aborted, codes.OutOfRange:
	default:
		return nil, false
	}
	errs = fieldErrors(lang, st)
	if len(errs) == 0 {
		errs = view.Errors{"": reasonText(lang, st)}
	}
	return errs, true
}

// fieldErrors are the status's field violations by field.
func fieldErrors(lang i18n.Lang, st *status.Status) view.Errors {
	errs := view.Errors{}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if errs[v.GetField()] == "" {
					errs[v.GetField()] = v.GetDescription()
				}
			}
		}
	}
	return errs
}

// reasonText says why a rule refused: the catalog's words for the reason when it has
// them, else the service's own message.
func reasonText(lang i18n.Lang, st *status.Status) string {
	for _, d := range st.Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok && lang.Has("reason."+ei.GetReason()) {
			return lang.T("reason." + ei.GetReason())
		}
	}
	return st.Message()
}

func retryDelay(st *status.Status) time.Duration {
	d, _ := ratelimit.RetryDelay(st)
	return d
}

// minutes rounds a wait up to whole minutes, at least one.
func minutes(d time.Duration) int {
	return max(1, int(math.Ceil(d.Minutes())))
}
