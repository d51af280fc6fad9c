// Package textrule is the one rule every free-text field of a request follows: no control
// characters (line breaks and tabs only in long text), no bidirectional overrides, and
// not blank once invisible characters are removed. A name of "\u202e" or of zero-width
// spaces would look like nothing, or like something else, on a notice board or in a
// spreadsheet. grpcserver applies it to every string field of every request.
package textrule

import (
	"unicode"
	"unicode/utf8"
)

// Problem says what is wrong with s, or "" when nothing is. multiline allows line breaks
// and tabs (minutes, descriptions, remarks). The empty string is no problem here:
// whether a field is required is the contract's business.
func Problem(s string, multiline bool) string {
	if s == "" {
		return ""
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	visible := false
	for _, r := range s {
		switch {
		case isBidiControl(r):
			return "may not contain bidirectional control characters"
		case unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')):
			if multiline {
				return "may not contain control characters other than line breaks and tabs"
			}
			return "may not contain control characters (line breaks included)"
		case !visible && !Invisible(r):
			visible = true
		}
	}
	if !visible {
		return "is blank once invisible characters are removed"
	}
	return ""
}

// isBidiControl reports the characters that reorder text: embeddings, overrides and
// isolates (U+202A–U+202E, U+2066–U+2069). The marks U+200E and U+200F only nudge
// neutral characters and stay allowed.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// Invisible reports characters that show nothing: white space, format characters (zero
// width spaces and joiners, the byte order mark, soft hyphen) and the blank fillers.
func Invisible(r rune) bool {
	switch r {
	case 0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800: // Hangul fillers, the blank Braille pattern
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.IsControl(r)
}
