// Package i18n holds the console's message catalogs: every word a page shows comes from
// here, Chinese first (zh-CN is the default), English switchable. A key missing from a
// catalog is a test failure, not a blank on screen.
package i18n

import (
	"fmt"
	"strings"
)

// Lang is a catalog's language tag.
type Lang string

const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// Langs are the catalogs, the default first.
var Langs = []Lang{ZH, EN}

// Parse returns the catalog for a tag ("en", "en-GB", "zh", "zh-CN"), ZH for anything else.
func Parse(tag string) Lang {
	t := strings.ToLower(strings.TrimSpace(tag))
	if t == "en" || strings.HasPrefix(t, "en-") {
		return EN
	}
	return ZH
}

// Text is one message in both languages, side by side so that neither is forgotten:
// {Chinese, English}.
type Text [2]string

// The catalogs, filled by each page group's file (add in its init).
var zh, en = map[string]string{}, map[string]string{}

// add puts a group's messages in the catalogs. A key given twice is a slip between
// groups and stops the program at start, where a test sees it.
func add(msgs map[string]Text) {
	for k, t := range msgs {
		if _, dup := zh[k]; dup {
			panic("i18n: message " + k + " is defined twice")
		}
		zh[k], en[k] = t[0], t[1]
	}
}

func (l Lang) catalog() map[string]string {
	if l == EN {
		return en
	}
	return zh
}

// T is the text of key in l, formatted with args as fmt.Sprintf does. An unknown key
// shows itself, so a slip is visible rather than blank (and a test catches it).
func (l Lang) T(key string, args ...any) string {
	s, ok := l.catalog()[key]
	if !ok {
		s = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether l's catalog has key.
func (l Lang) Has(key string) bool { _, ok := l.catalog()[key]; return ok }

// Keys are the keys of l's catalog.
func (l Lang) Keys() []string {
	keys := make([]string, 0, len(l.catalog()))
	for k := range l.catalog() {
		keys = append(keys, k)
	}
	return keys
}

// Other is the language the switch offers.
func (l Lang) Other() Lang {
	if l == EN {
		return ZH
	}
	return EN
}

// Name is the language's own name, as the switch shows it.
func (l Lang) Name() string {
	if l == EN {
		return "English"
	}
	return "中文"
}
