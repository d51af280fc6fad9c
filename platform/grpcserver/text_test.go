package grpcserver

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "tongdu/proto/gen/go/tongdu/finance/v1"
	_ "tongdu/proto/gen/go/tongdu/governance/v1"
	_ "tongdu/proto/gen/go/tongdu/projects/v1"
	_ "tongdu/proto/gen/go/tongdu/survey/v1"
)

// target is one string somewhere in a request: its JSON path and how to put a value there.
type target struct {
	path string
	set  func(m protoreflect.Message, s string)
}

// stringTargets lists every string a message of md can carry, through nested records,
// lists and maps (depth bounds recursive messages).
func stringTargets(md protoreflect.MessageDescriptor, depth int) []target {
	if depth == 0 {
		return nil
	}
	var out []target
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		name := fd.JSONName()
		switch {
		case fd.IsMap():
			if fd.MapKey().Kind() != protoreflect.StringKind {
				continue
			}
			key := protoreflect.ValueOfString("k").MapKey()
			switch fd.MapValue().Kind() {
			case protoreflect.StringKind:
				out = append(out, target{name + `["k"]`, func(m protoreflect.Message, s string) {
					m.Mutable(fd).Map().Set(key, protoreflect.ValueOfString(s))
				}})
			case protoreflect.MessageKind:
				for _, sub := range stringTargets(fd.MapValue().Message(), depth-1) {
					out = append(out, target{name + `["k"].` + sub.path, func(m protoreflect.Message, s string) {
						mp := m.Mutable(fd).Map()
						v := mp.NewValue()
						sub.set(v.Message(), s)
						mp.Set(key, v)
					}})
				}
			}
		case fd.IsList() && fd.Kind() == protoreflect.StringKind:
			out = append(out, target{name + "[0]", func(m protoreflect.Message, s string) {
				m.Mutable(fd).List().Append(protoreflect.ValueOfString(s))
			}})
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			for _, sub := range stringTargets(fd.Message(), depth-1) {
				out = append(out, target{name + "[0]." + sub.path, func(m protoreflect.Message, s string) {
					l := m.Mutable(fd).List()
					e := l.NewElement()
					sub.set(e.Message(), s)
					l.Append(e)
				}})
			}
		case fd.Kind() == protoreflect.StringKind:
			out = append(out, target{name, func(m protoreflect.Message, s string) { m.Set(fd, protoreflect.ValueOfString(s)) }})
		case fd.Kind() == protoreflect.MessageKind:
			for _, sub := range stringTargets(fd.Message(), depth-1) {
				out = append(out, target{name + "." + sub.path, func(m protoreflect.Message, s string) { sub.set(m.Mutable(fd).Message(), s) }})
			}
		}
	}
	return out
}

// Every string field of every request of the four contracts is held to the text rule:
// for each one, a request carrying a bidirectional override there (and nothing else) is
// refused naming exactly that field, and a request carrying ordinary text there is not.
func TestEveryStringFieldOfEveryRequestFollowsTheTextRule(t *testing.T) {
	seen := map[protoreflect.FullName]bool{}
	fields := 0
	protoregistry.GlobalFiles.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(f.Package()), "tongdu.") {
			return true
		}
		for i := 0; i < f.Services().Len(); i++ {
			methods := f.Services().Get(i).Methods()
			for j := 0; j < methods.Len(); j++ {
				in := methods.Get(j).Input()
				if seen[in.FullName()] {
					continue
				}
				seen[in.FullName()] = true
				mt, err := protoregistry.GlobalTypes.FindMessageByName(in.FullName())
				if err != nil {
					t.Fatal(err)
				}
				for _, tg := range stringTargets(in, 6) {
					fields++
					bad := mt.New()
					tg.set(bad, "东川\u202e区")
					vs := TextViolations(bad.Interface())
					if len(vs) != 1 || vs[0].Field != tg.path {
						t.Errorf("%s: an override in %s gave %v, want one violation naming %s", in.FullName(), tg.path, vs, tg.path)
					}
					good := mt.New()
					tg.set(good, "石羊路21号院")
					if vs := TextViolations(good.Interface()); len(vs) != 0 {
						t.Errorf("%s: ordinary text in %s gave %v", in.FullName(), tg.path, vs)
					}
				}
			}
		}
		return true
	})
	if len(seen) < 100 || fields < 300 {
		t.Fatalf("walked %d request messages and %d string fields; the walk is broken", len(seen), fields)
	}
	t.Logf("%d request messages, %d string fields", len(seen), fields)
}

// Line breaks are allowed only where the contract allows long text.
func TestLineBreaksOnlyInLongText(t *testing.T) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName("tongdu.survey.v1.CreateMeetingRequest")
	if err != nil {
		t.Fatal(err)
	}
	for path, ok := range map[string]bool{"meeting.minutes": true, "meeting.title": false} {
		for _, tg := range stringTargets(mt.Descriptor(), 4) {
			if tg.path != path {
				continue
			}
			m := mt.New()
			tg.set(m, "第一行\n第二行")
			if got := len(TextViolations(m.Interface())) == 0; got != ok {
				t.Errorf("a line break in %s: accepted %v, want %v", path, got, ok)
			}
		}
	}
}
