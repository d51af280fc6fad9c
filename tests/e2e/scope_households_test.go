package e2e

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"tongdu/platform/auth"
)

// TestHouseholdIDsOnlyToThoseWhoReadThem (issue 16, scope holes): records that name
// households (a meeting's attendees, an idea's proposer, a supervision report's
// household, a building's leader and an election's candidates) reach every role that may
// read the record, but the households' ids only those who may read the households: the
// compound's own people in scope, and a resident for their own household (and, for the
// leaders they elect, their compound's candidates). A contractor, a supervisor or an
// auditor learns how many attended, not which households.
func TestHouseholdIDsOnlyToThoseWhoReadThem(t *testing.T) {
	admin := startApp(t)
	d := admin.buildDistrict()
	h1, other := d.h1.ID, d.other
	all := []string{h1, other, d.k1.hid(0), d.k1.hid(2), d.h2}

	staff := admin.asRole(auth.CommunityStaff, "regions/"+d.rt.community.ID)
	secretary := admin.asRole(auth.BranchSecretary, "compounds/"+d.k1.ID)
	resident := admin.asRole(auth.Resident, "households/"+h1)
	blind := map[string]*client{
		"CONTRACTOR": admin.asRole(auth.Contractor, "projects/"+d.p1.ID),
		"SUPERVISOR": admin.asRole(auth.Supervisor, "projects/"+d.p1.ID),
		"AUDITOR":    admin.asRole(auth.Auditor, ""),
	}

	// A courtyard meeting H1 and H1b attended; H1's idea; H1's supervision report on P1;
	// H1 elected leader of K1's building over H1b.
	var m meeting
	secretary.call("POST", "/v1/meetings", map[string]any{
		"compoundId": d.k1.ID, "title": "改造院坝会", "heldAt": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
		"attendeeHouseholdIds": []string{h1, other}, "topics": []string{"改造内容"},
	}, &m)
	var idea struct {
		ID string `json:"id"`
	}
	resident.call("POST", "/v1/ideas", map[string]any{"compoundId": d.k1.ID, "householdId": h1, "text": "增设晾晒区", "category": "DRYING"}, &idea)
	resident.call("POST", path("/v1/projects/%s/supervision-reports", d.p1.ID), map[string]any{"householdId": h1, "itemId": d.item, "text": "施工围挡不严"}, nil)
	var el struct {
		ID string `json:"id"`
	}
	secretary.call("POST", "/v1/leader-elections", map[string]any{"buildingId": d.k1.buildingID, "candidateHouseholdIds": []string{h1, other}}, &el)
	secretary.call("POST", path("/v1/leader-elections/%s:vote", el.ID), map[string]any{"householdId": other, "candidateHouseholdId": h1}, nil)
	secretary.call("POST", path("/v1/leader-elections/%s:close", el.ID), map[string]any{}, nil)

	type view struct {
		Meetings []struct {
			Attendees []string `json:"attendeeHouseholdIds"`
		} `json:"meetings"`
		Ideas []struct {
			HouseholdID string `json:"householdId"`
		} `json:"ideas"`
		Reports []struct {
			HouseholdID string `json:"householdId"`
		} `json:"supervisionReports"`
		Candidates []string `json:"candidateHouseholdIds"`
		Winner     string   `json:"winnerHouseholdId"`
		Votes      []struct {
			Candidate string `json:"candidateHouseholdId"`
			Votes     int    `json:"votes"`
		} `json:"votes"`
		Leader string `json:"leaderHouseholdId"`
	}
	reads := []struct{ what, path string }{
		{"meetings", path("/v1/meetings?compoundId=%s", d.k1.ID)},
		{"meeting", path("/v1/meetings/%s", m.ID)},
		{"ideas", path("/v1/ideas?compoundId=%s", d.k1.ID)},
		{"idea", path("/v1/ideas/%s", idea.ID)},
		{"supervision reports", path("/v1/projects/%s/supervision-reports", d.p1.ID)},
		{"election", path("/v1/leader-elections/%s", el.ID)},
		{"building", path("/v1/buildings/%s", d.k1.buildingID)},
	}
	read := func(t *testing.T, c *client, p string) (string, view) {
		t.Helper()
		r := c.with(t).do("GET", p, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", p, r.status, r.body)
		}
		var v view
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		return string(r.body), v
	}

	for role, c := range blind {
		t.Run(role+" reads the records but no household", func(t *testing.T) {
			for _, rd := range reads {
				body, v := read(t, c, rd.path)
				for _, h := range all {
					if strings.Contains(body, h) {
						t.Errorf("%s: %s answered household %s: %s", role, rd.what, h, body)
					}
				}
				switch rd.what {
				case "meetings":
					if len(v.Meetings) != 1 || !reflect.DeepEqual(v.Meetings[0].Attendees, []string{"*", "*"}) {
						t.Errorf("%s: meetings = %+v, want the two attendees masked (how many, not who)", role, v.Meetings)
					}
				case "election":
					if !reflect.DeepEqual(v.Candidates, []string{"*", "*"}) || v.Winner != "*" || len(v.Votes) != 2 {
						t.Errorf("%s: election = %+v, want two masked candidates, their tallies and a masked winner", role, v)
					}
				case "building":
					if v.Leader != "*" {
						t.Errorf("%s: building leader = %q, want the seat shown filled and masked", role, v.Leader)
					}
				}
			}
		})
	}

	t.Run("a contractor may not ask for reports by household", func(t *testing.T) {
		r := blind["CONTRACTOR"].with(t).do("GET", path("/v1/projects/%s/supervision-reports?householdId=%s", d.p1.ID, h1), nil)
		if r.status != http.StatusForbidden {
			t.Errorf("supervision reports by household for a contractor: %d %s, want 403", r.status, r.body)
		}
	})

	for name, c := range map[string]*client{"COMMUNITY_STAFF": staff, "BRANCH_SECRETARY": secretary} {
		t.Run(name+" in scope reads the households", func(t *testing.T) {
			_, v := read(t, c, reads[0].path)
			if len(v.Meetings) != 1 || !reflect.DeepEqual(v.Meetings[0].Attendees, []string{h1, other}) {
				t.Errorf("meetings = %+v, want attendees %v", v.Meetings, []string{h1, other})
			}
			if _, v = read(t, c, reads[2].path); len(v.Ideas) != 1 || v.Ideas[0].HouseholdID != h1 {
				t.Errorf("ideas = %+v, want H1's", v.Ideas)
			}
			if _, v = read(t, c, reads[4].path); len(v.Reports) != 1 || v.Reports[0].HouseholdID != h1 {
				t.Errorf("supervision reports = %+v, want H1's", v.Reports)
			}
			if _, v = read(t, c, reads[5].path); !reflect.DeepEqual(v.Candidates, []string{h1, other}) || v.Winner != h1 {
				t.Errorf("election = %+v, want candidates H1, H1b and H1 elected", v)
			}
			if _, v = read(t, c, reads[6].path); v.Leader != h1 {
				t.Errorf("building leader = %q, want H1", v.Leader)
			}
		})
	}

	t.Run("a resident sees their own household and the compound's candidates", func(t *testing.T) {
		_, v := read(t, resident, reads[0].path)
		if len(v.Meetings) != 1 || !reflect.DeepEqual(v.Meetings[0].Attendees, []string{h1, "*"}) {
			t.Errorf("meetings = %+v, want H1 and one masked attendee", v.Meetings)
		}
		if _, v = read(t, resident, reads[2].path); len(v.Ideas) != 1 || v.Ideas[0].HouseholdID != h1 {
			t.Errorf("ideas = %+v, want their own idea with their household", v.Ideas)
		}
		if _, v = read(t, resident, reads[5].path); !reflect.DeepEqual(v.Candidates, []string{h1, other}) {
			t.Errorf("election = %+v, want the candidates they vote for", v)
		}
		// Another resident of K1 does not learn who proposed H1's idea.
		neighbour := admin.asRole(auth.Resident, "households/"+d.k1.hid(2))
		body, v := read(t, neighbour, reads[2].path)
		if len(v.Ideas) != 1 || v.Ideas[0].HouseholdID != "" || strings.Contains(body, h1) {
			t.Errorf("a neighbour's ideas = %s, want H1's idea without its household", body)
		}
	})
}
