package console

import (
	"net/http"

	"tongdu/web/internal/view"
)

// home is the first page after signing in. A page group may take it over for a role
// (the dashboard for staff): homes maps a role to its home page.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "home.heading", "home")
	if h, ok := homes[p.Viewer.Role]; ok {
		h(s)(w, r)
		return
	}
	s.render(w, r, http.StatusOK, view.Home(p))
}

// homes are the home pages of roles that have one of their own.
var homes = map[string]func(s *Server) http.HandlerFunc{}
