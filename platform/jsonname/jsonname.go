// Package jsonname names fields as REST clients see them. The contracts use protobuf
// names (build_year); the JSON the gateway speaks uses lowerCamelCase (buildYear), and
// so must every field violation, field mask and error message a client reads.
package jsonname

import "strings"

// FromProto turns a protobuf field name or path into its JSON form:
// "compound.build_year" → "compound.buildYear", "households[3].exclusive_area_m2" →
// "households[3].exclusiveAreaM2".
func FromProto(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	upper := false
	for _, r := range p {
		switch {
		case r == '_':
			upper = true
		case upper:
			b.WriteString(strings.ToUpper(string(r)))
			upper = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// MaskPaths returns a field mask's paths in JSON form, leaving out the names that say
// which version is edited rather than what changes (id, etag): grpc-gateway derives
// PATCH masks from every key of the body.
func MaskPaths(paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if p = FromProto(p); p != "id" && p != "etag" {
			out = append(out, p)
		}
	}
	return out
}
