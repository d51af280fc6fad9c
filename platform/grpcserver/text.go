package grpcserver

import (
	"context"
	"strconv"
	"sync"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"tongdu/platform/apierror"
	"tongdu/platform/fault"
	"tongdu/platform/textrule"
)

// LongText is the max_len from which a string field of a contract holds long text
// (minutes, descriptions, remarks), where line breaks and tabs are allowed.
const LongText = 500

// textInterceptor applies textrule to every string of every request (nested records,
// lists and maps included), so no field is left to be checked by hand, and answers
// INVALID_ARGUMENT naming each offending field as the REST contract names it.
func textInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if msg, ok := req.(proto.Message); ok {
			if vs := TextViolations(msg); len(vs) > 0 {
				f := fault.Fields(vs...)
				f.Message = "invalid request: " + f.Message
				return nil, apierror.FromFault(f)
			}
		}
		return handler(ctx, req)
	}
}

// TextViolations lists the string fields of msg that break textrule, by JSON path
// ("response.answers[0].text").
func TextViolations(msg proto.Message) []fault.Violation {
	var vs []fault.Violation
	walkText(msg.ProtoReflect(), "", &vs)
	return vs
}

func walkText(m protoreflect.Message, prefix string, vs *[]fault.Violation) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := fd.JSONName()
		if prefix != "" {
			path = prefix + "." + path
		}
		check := func(p, s string) {
			if problem := textrule.Problem(s, multiline(fd)); problem != "" {
				*vs = append(*vs, fault.Violation{Field: p, Description: problem})
			}
		}
		switch {
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				p := path + "[" + strconv.Quote(k.String()) + "]"
				if fd.MapKey().Kind() == protoreflect.StringKind {
					check(p, k.String())
				}
				switch fd.MapValue().Kind() {
				case protoreflect.StringKind:
					check(p, mv.String())
				case protoreflect.MessageKind, protoreflect.GroupKind:
					walkText(mv.Message(), p, vs)
				}
				return true
			})
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				p := path + "[" + strconv.Itoa(i) + "]"
				switch fd.Kind() {
				case protoreflect.StringKind:
					check(p, l.Get(i).String())
				case protoreflect.MessageKind, protoreflect.GroupKind:
					walkText(l.Get(i).Message(), p, vs)
				}
			}
		case fd.Kind() == protoreflect.StringKind:
			check(path, v.String())
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			walkText(v.Message(), path, vs)
		}
		return true
	})
}

var longText sync.Map // protoreflect.FullName of a field → bool

// multiline reports whether a field holds long text: its contract allows LongText
// characters or more.
func multiline(fd protoreflect.FieldDescriptor) bool {
	if v, ok := longText.Load(fd.FullName()); ok {
		return v.(bool)
	}
	long := false
	if rules, ok := proto.GetExtension(fd.Options(), validate.E_Field).(*validate.FieldRules); ok {
		long = rules.GetString().GetMaxLen() >= LongText
	}
	longText.Store(fd.FullName(), long)
	return long
}
