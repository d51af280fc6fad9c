// Package view renders the console's pages (templ components). It knows nothing of gRPC
// or sessions: a handler fills a view model of plain values and a Page, and a component
// turns them into HTML, every word through the page's language catalog.
package view

import (
	"net/url"
	"strings"

	"tongdu/web/internal/i18n"
)

// Page is what every page's frame needs.
type Page struct {
	Lang   i18n.Lang
	Title  string
	Viewer *Viewer // nil when nobody is signed in
	// CSRF is the session's token, put in every form that changes something.
	CSRF string
	// Path is the page's own path and query, where the language switch returns to.
	Path string
	// Nav is the navigation entry the page belongs to ("dashboard", "compounds", …).
	Nav string
	// Menu is the navigation the viewer's role gets.
	Menu []NavItem
	// Notice is a one-line message after a change ("saved"), shown above the page.
	Notice string
}

// T is the page's text for key.
func (p Page) T(key string, args ...any) string { return p.Lang.T(key, args...) }

// Viewer is the signed-in person, as the frame shows them.
type Viewer struct {
	DisplayName string
	Role        string
	Scope       string
	// Household is set for a resident signed in with a household's access code.
	Household string
}

// Staff reports whether the viewer signed in with a staff account.
func (v *Viewer) Staff() bool { return v != nil && v.Household == "" }

// Can reports whether the viewer's role is one of roles.
func (v *Viewer) Can(roles ...string) bool {
	if v == nil {
		return false
	}
	for _, r := range roles {
		if v.Role == r {
			return true
		}
	}
	return false
}

// NavItem is an entry of the navigation bar.
type NavItem struct {
	Key, Href, Label string
}

// Errors are a form's errors by field name (the API's field path, e.g. "compound.name");
// "" holds the error of the whole form.
type Errors map[string]string

// Of is the error of field, or "".
func (e Errors) Of(field string) string { return e[field] }

// Any reports whether there is any error.
func (e Errors) Any() bool { return len(e) > 0 }

// langHref switches the language and comes back to the page.
func langHref(p Page) string {
	return "/lang?to=" + url.QueryEscape(string(p.Lang.Other())) + "&back=" + url.QueryEscape(p.Path)
}

// fieldID is the element id of a form field named by its API path ("compound.name").
func fieldID(name string) string { return "f-" + strings.ReplaceAll(name, ".", "-") }

// staffErrs and residentErrs show a field's error only in the form it came from.
func staffErrs(f SignInForm, errs Errors) Errors {
	if f.Mode == "resident" {
		return nil
	}
	return errs
}

func residentErrs(f SignInForm, errs Errors) Errors {
	if f.Mode != "resident" {
		return nil
	}
	return errs
}
