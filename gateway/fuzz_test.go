package gateway

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/proto"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// bodyRoute is one REST route with a body: the request message the generated handler
// fills, and the field the body decodes into (the route's `body:` field), as the
// generated code does it: marshaler.NewDecoder(body).Decode(&req.Field).
type bodyRoute struct {
	name string
	// decode reads body into a fresh request, with the path parameters set, and returns
	// the request and its body field.
	decode func(body []byte) (req, field proto.Message, err error)
}

func decodeInto[T any](body []byte, field *T) error {
	err := bodyMarshaler().NewDecoder(bytes.NewReader(body)).Decode(field)
	if errors.Is(err, io.EOF) { // an empty body is no error to the generated handlers
		err = nil
	}
	return err
}

var bodyRoutes = []bodyRoute{
	{"survey SubmitResponse", func(b []byte) (proto.Message, proto.Message, error) {
		r := &surveypb.SubmitResponseRequest{SurveyId: "s1"}
		err := decodeInto(b, &r.Response)
		return r, r.Response, err
	}},
	{"finance CreateContribution", func(b []byte) (proto.Message, proto.Message, error) {
		r := &financepb.CreateContributionRequest{ProjectId: "p1"}
		err := decodeInto(b, &r.Contribution)
		return r, r.Contribution, err
	}},
	{"projects CreateProject", func(b []byte) (proto.Message, proto.Message, error) {
		r := &projectspb.CreateProjectRequest{}
		err := decodeInto(b, &r.Project)
		return r, r.Project, err
	}},
	{"governance CreateHousehold", func(b []byte) (proto.Message, proto.Message, error) {
		r := &governancepb.CreateHouseholdRequest{CompoundId: "k1"}
		err := decodeInto(b, &r.Household)
		return r, r.Household, err
	}},
}

// FuzzDecodeRequest feeds arbitrary bodies through the gateway's own marshaler into a few
// request messages and validates them as the services' validation interceptor does.
// Invariants: nothing panics; validation fails only with a *protovalidate.ValidationError
// (anything else would reach a caller as INTERNAL); and a body that decodes and validates
// re-marshals to JSON that decodes to an equal message.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []struct {
		route uint8
		body  string
	}{
		{0, `{"householdId":"h1","channel":"DOOR_TO_DOOR","answers":[{"questionId":"want","optionIds":["yes"]}]}`},
		{0, `{"householdId":"h1","channel":2,"collectedAt":"2021-05-01T08:00:00Z","answers":[{"questionId":"q","scale":4},{"questionId":"t","text":"修路"}]}`},
		{0, `{"householdId":"h1","channel":"ONLINE","answers":[{"questionId":"q"},{"questionId":"q"}]}`},
		{1, `{"householdId":"h1","amountFen":"108400","method":"WECHAT","requestId":"r-1"}`},
		{1, `{"householdId":"h1","amountFen":1e3,"method":"CASH","requestId":"r"}`},
		{1, `{"householdId":"h1","amountFen":"-1","method":"BANK","requestId":"r","bogus":1}`},
		{2, `{"compoundId":"k1","title":"石羊路21号院改造","year":2021,"budgetFen":"60000000","heritageNotes":"保留瓷砖镶嵌外墙"}`},
		{2, `{"title":"x","year":0,"budgetFen":"9223372036854775807"}`},
		{3, `{"buildingId":"b1","unit":"1","room":"101","exclusiveAreaM2":62.5,"residentName":"张三","phone":"13812345678"}`},
		{3, `{"buildingId":"b1","room":"1","exclusiveAreaM2":"NaN"}`},
		{3, `{"buildingId":"b1","room":"1","exclusiveAreaM2":1e-300}`},
		{0, ``},
		{1, `null`},
	} {
		f.Add(s.route, []byte(s.body))
	}
	validator, err := protovalidate.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := bodyRoutes[int(route)%len(bodyRoutes)]
		req, field, err := r.decode(body)
		if err != nil {
			return // the gateway answers 400
		}
		if err := validator.Validate(req); err != nil {
			var verr *protovalidate.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("%s: validation failed with %T, not a ValidationError: %v\nbody %q", r.name, err, err, body)
			}
			return // the service answers 400 with field violations
		}
		out, err := bodyMarshaler().Marshal(field)
		if err != nil {
			t.Fatalf("%s: a valid request does not marshal: %v\nbody %q", r.name, err, body)
		}
		again, field2, err := r.decode(out)
		if err != nil {
			t.Fatalf("%s: re-marshalled request does not decode: %v\nbody %q\nout  %s", r.name, err, body, out)
		}
		if !proto.Equal(field, field2) || !proto.Equal(req, again) {
			t.Fatalf("%s: round trip changed the request\nbody %q\nout  %s\nfirst  %v\nsecond %v", r.name, body, out, field, field2)
		}
		if err := validator.Validate(again); err != nil {
			t.Fatalf("%s: re-decoded request no longer validates: %v\nout %s", r.name, err, out)
		}
	})
}
