package console

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// listingCounter answers ListCompounds from a fixed district, two compounds a page, and
// counts the calls; any other method would panic (the cache calls none).
type listingCounter struct {
	governancepb.GovernanceServiceClient
	names []string
	calls int
}

func (l *listingCounter) ListCompounds(_ context.Context, req *governancepb.ListCompoundsRequest, _ ...grpc.CallOption) (*governancepb.ListCompoundsResponse, error) {
	l.calls++
	start := 0
	if req.GetPageToken() != "" {
		start = int(req.GetPageToken()[0] - '0')
	}
	out := &governancepb.ListCompoundsResponse{}
	for i := start; i < len(l.names) && i < start+2; i++ {
		out.Compounds = append(out.Compounds, &governancepb.Compound{Id: string(rune('a' + i)), Name: l.names[i]})
	}
	if start+2 < len(l.names) {
		out.NextPageToken = string(rune('0' + start + 2))
	}
	return out, nil
}

// The whistles board's choosers read a region's compound names once per
// compoundNamesFor, per role and region, following every page; a rename shows after it.
func TestCompoundNamesKeptAWhile(t *testing.T) {
	gov := &listingCounter{names: []string{"石羊路21号", "文化路3号", "北门巷7号"}}
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	s := &Server{c: Clients{Governance: gov}, now: func() time.Time { return now }}
	ctx := context.Background()

	got, err := s.compoundNames.get(ctx, s, "COMMUNITY_STAFF", "r1")
	if err != nil || len(got) != 3 || got[2] != [2]string{"c", "北门巷7号"} {
		t.Fatalf("first read = %v, %v; want the three compounds", got, err)
	}
	if gov.calls != 2 {
		t.Fatalf("first read made %d calls; want 2 (two pages)", gov.calls)
	}
	gov.names[0] = "石羊路21号院"
	now = now.Add(compoundNamesFor - time.Second)
	if got, _ = s.compoundNames.get(ctx, s, "COMMUNITY_STAFF", "r1"); gov.calls != 2 || got[0][1] != "石羊路21号" {
		t.Fatalf("read within the while made %d calls in all (want 2) and gave %q", gov.calls, got[0][1])
	}
	if _, _ = s.compoundNames.get(ctx, s, "AUDITOR", "r1"); gov.calls != 4 {
		t.Fatalf("another role's read made %d calls in all; want 4 (its own listing)", gov.calls)
	}
	now = now.Add(2 * time.Second)
	if got, _ = s.compoundNames.get(ctx, s, "COMMUNITY_STAFF", "r1"); gov.calls != 6 || got[0][1] != "石羊路21号院" {
		t.Fatalf("read after the while made %d calls in all (want 6) and gave %q; want the new name", gov.calls, got[0][1])
	}
}
