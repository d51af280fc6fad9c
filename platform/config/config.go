// Package config reads a binary's typed configuration: each setting is a flag whose
// default comes from a TONGDU_* environment variable when that is set, and the effective
// values are printed once at start with secrets masked.
package config

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Set collects the settings of one binary. Declare settings, then call Parse.
type Set struct {
	fs      *flag.FlagSet
	entries []entry
}

type entry struct {
	name   string
	env    string
	secret bool
	usage  string
}

// New returns an empty set for the named binary.
func New(binary string) *Set {
	return &Set{fs: flag.NewFlagSet(binary, flag.ContinueOnError)}
}

// EnvName is the environment variable that backs a flag: "redis-url" → TONGDU_REDIS_URL.
func EnvName(flagName string) string {
	return "TONGDU_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (s *Set) add(name, usage string, secret bool) string {
	env := EnvName(name)
	s.entries = append(s.entries, entry{name: name, env: env, secret: secret, usage: usage})
	return fmt.Sprintf("%s (env %s)", usage, env)
}

// String declares a string setting.
func (s *Set) String(p *string, name, def, usage string) {
	if v, ok := os.LookupEnv(EnvName(name)); ok {
		def = v
	}
	s.fs.StringVar(p, name, def, s.add(name, usage, false))
}

// Secret declares a string setting whose value is never printed.
func (s *Set) Secret(p *string, name, def, usage string) {
	if v, ok := os.LookupEnv(EnvName(name)); ok {
		def = v
	}
	s.fs.StringVar(p, name, def, s.add(name, usage, true))
}

// Duration declares a duration setting such as "5s".
func (s *Set) Duration(p *time.Duration, name string, def time.Duration, usage string) error {
	if v, ok := os.LookupEnv(EnvName(name)); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s: %w", EnvName(name), err)
		}
		def = d
	}
	s.fs.DurationVar(p, name, def, s.add(name, usage, false))
	return nil
}

// Int declares an integer setting.
func (s *Set) Int(p *int, name string, def int, usage string) error {
	if v, ok := os.LookupEnv(EnvName(name)); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%s: %w", EnvName(name), err)
		}
		def = n
	}
	s.fs.IntVar(p, name, def, s.add(name, usage, false))
	return nil
}

// Bool declares a boolean setting.
func (s *Set) Bool(p *bool, name string, def bool, usage string) error {
	if v, ok := os.LookupEnv(EnvName(name)); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s: %w", EnvName(name), err)
		}
		def = b
	}
	s.fs.BoolVar(p, name, def, s.add(name, usage, false))
	return nil
}

// Parse reads the command-line arguments (without the program name).
func (s *Set) Parse(args []string) error {
	return s.fs.Parse(args)
}

// Args returns the arguments left after the flags.
func (s *Set) Args() []string { return s.fs.Args() }

// SetOutput sends usage and errors to w.
func (s *Set) SetOutput(w io.Writer) { s.fs.SetOutput(w) }

// Effective returns "name=value" for every setting, sorted, secrets masked. Passwords
// inside URLs (redis://:pw@host) are masked too, since they end up in ordinary settings.
func (s *Set) Effective() []string {
	out := make([]string, 0, len(s.entries))
	for _, e := range s.entries {
		v := s.fs.Lookup(e.name).Value.String()
		switch {
		case e.secret && v != "":
			v = "********"
		default:
			v = MaskURL(v)
		}
		out = append(out, e.name+"="+v)
	}
	sort.Strings(out)
	return out
}

// MaskURL hides the password of a URL; other strings pass through unchanged.
func MaskURL(v string) string {
	if !strings.Contains(v, "://") {
		return v
	}
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return v
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Float declares a number setting.
func (s *Set) Float(p *float64, name string, def float64, usage string) error {
	if v, ok := os.LookupEnv(EnvName(name)); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%s: %w", EnvName(name), err)
		}
		def = f
	}
	s.fs.Float64Var(p, name, def, s.add(name, usage, false))
	return nil
}
