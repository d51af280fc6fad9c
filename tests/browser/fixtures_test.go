package browser

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/metadata"

	"tongdu/cmd/tongdu/demo"
	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance"
)

// A password every test account shares; long enough for the rules.
const testPassword = "铜都-测试-口令-足够长了"

// as is a context calling the services as p, with a token the site's key signs (how a
// test sets up the records its people then work with on screen).
func (s *site) as(p auth.Principal) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+s.token(p))
}

// district is the district administrator's context.
func (s *site) district() context.Context {
	return s.as(auth.Principal{Subject: "accounts/test-district", Role: auth.DistrictAdmin})
}

// gov is the governance service.
func (s *site) gov() governancepb.GovernanceServiceClient {
	return governancepb.NewGovernanceServiceClient(s.conn)
}

// signedIn makes a staff account of role within scope and returns a browser of size
// in which it has signed in through the form.
func (s *site) signedIn(size [2]int64, login string, role auth.Role, scope, displayName string) *browser {
	s.t.Helper()
	s.addAccount(governance.NewAccount{Login: login, DisplayName: displayName, Role: role, Scope: scope, Password: testPassword})
	b := s.open(size)
	b.signIn(login, testPassword)
	if loc := b.location(); loc != "/" {
		s.t.Fatalf("%s signed in and is at %s", login, loc)
	}
	return b
}

// estate is a registered compound with one building and its households.
type estate struct {
	District, Subdistrict, Community string
	Compound                         *governancepb.Compound
	Building                         string
	Households                       []*governancepb.Household
}

// newEstate registers a district, sub-district and community, and in it a compound
// named name with one building of households of the given areas (rooms 101, 102, …).
func (s *site) newEstate(name string, buildYear int32, areas ...float64) estate {
	s.t.Helper()
	ctx, gov := s.district(), s.gov()
	must := testkit.Must[*governancepb.Region](s.t)
	var e estate
	e.District = must(gov.CreateRegion(ctx, &governancepb.CreateRegionRequest{Region: &governancepb.Region{Name: "东川区", Level: governancepb.Region_DISTRICT}})).Id
	e.Subdistrict = must(gov.CreateRegion(ctx, &governancepb.CreateRegionRequest{Region: &governancepb.Region{Name: "铜都街道", Level: governancepb.Region_SUBDISTRICT, Parent: e.District}})).Id
	e.Community = must(gov.CreateRegion(ctx, &governancepb.CreateRegionRequest{Region: &governancepb.Region{Name: "石羊社区", Level: governancepb.Region_COMMUNITY, Parent: e.Subdistrict}})).Id
	c := testkit.Must[*governancepb.Compound](s.t)(gov.CreateCompound(ctx, &governancepb.CreateCompoundRequest{Compound: &governancepb.Compound{
		Name: name, Address: name + "1号", CommunityId: e.Community, BuildYear: buildYear}}))
	e.Building = testkit.Must[*governancepb.Building](s.t)(gov.CreateBuilding(ctx, &governancepb.CreateBuildingRequest{CompoundId: c.Id,
		Building: &governancepb.Building{Name: "1号楼", UnitCount: 2, FloorCount: 6}})).Id
	hs := make([]*governancepb.Household, len(areas))
	for i, a := range areas {
		hs[i] = &governancepb.Household{BuildingId: e.Building, Unit: "1", Room: fmt.Sprint(101 + i), ExclusiveAreaM2: a}
	}
	if len(hs) > 0 {
		e.Households = testkit.Must[*governancepb.BatchCreateHouseholdsResponse](s.t)(gov.BatchCreateHouseholds(ctx,
			&governancepb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: hs})).Households
	}
	e.Compound = testkit.Must[*governancepb.Compound](s.t)(gov.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: c.Id}))
	return e
}

// loadDemo loads the demo district (the Shiyang Road story and the Tongdu
// sub-district with the article's figures), as `tongdu demo` does.
func (s *site) loadDemo() demo.Summary {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sum, err := demo.Load(ctx, s.conn, s.token(auth.Principal{Subject: "accounts/demo", Role: auth.DistrictAdmin}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		s.t.Fatalf("load the demo district: %v", err)
	}
	return sum
}

// fill types value into the form field named by its API path (its id is f-<path with
// dots as dashes>, as view.Field names it), replacing what was there.
func (b *browser) fill(field, value string) {
	b.t.Helper()
	sel := "#" + fieldID(field)
	b.do(chromedp.Clear(css(sel)), chromedp.SendKeys(css(sel), value))
}

func fieldID(name string) string {
	out := []rune("f-")
	for _, r := range name {
		if r == '.' {
			r = '-'
		}
		out = append(out, r)
	}
	return string(out)
}
