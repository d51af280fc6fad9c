package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// method is one measured call, by gRPC and through the gateway.
type method struct {
	name       string
	write      bool
	grpc, rest op
}

// runTag keeps request ids of separate bench runs on one data dir apart.
var runTag string

func methods(c *clients, f *fixture) []method {
	pick := func(w int) int { return w % len(c.gov) } // every service has as many
	// Writes take households in turn from a shared counter; past the last household a
	// survey answer becomes a revision (and a contribution a further payment).
	resp, pay := &f.respWrites, &f.payWrites
	return []method{
		{name: "SubmitResponse", write: true,
			grpc: func(ctx context.Context, w int, seq int64) error {
				i := resp.next()
				_, err := c.svy[pick(w)].SubmitResponse(c.ctx(ctx), &surveypb.SubmitResponseRequest{SurveyId: f.writeSurvey, RequestId: fmt.Sprintf("%s-r%d", runTag, seq),
					Response: &surveypb.Response{HouseholdId: f.bigHouseholds[i%int64(len(f.bigHouseholds))], Channel: surveypb.Response_DOOR_TO_DOOR, CollectorId: "bench", Answers: answers(i)}})
				return err
			},
			rest: func(ctx context.Context, w int, seq int64) error {
				i := resp.next()
				want := "yes"
				if i%4 == 0 {
					want = "no"
				}
				body := fmt.Sprintf(`{"householdId":%q,"channel":"DOOR_TO_DOOR","collectorId":"bench","answers":[{"questionId":"want","optionIds":[%q]},{"questionId":"needs","optionIds":[%q]}]}`,
					f.bigHouseholds[i%int64(len(f.bigHouseholds))], want, []string{"road", "drain", "light"}[i%3])
				return c.rest(ctx, "POST", fmt.Sprintf("/v1/surveys/%s/responses?requestId=%s-r%d", f.writeSurvey, runTag, seq), []byte(body))
			}},
		{name: "CreateContribution", write: true,
			grpc: func(ctx context.Context, w int, seq int64) error {
				i := pay.next()
				_, err := c.fin[pick(w)].CreateContribution(c.ctx(ctx), &financepb.CreateContributionRequest{ProjectId: f.project, Contribution: &financepb.Contribution{
					HouseholdId: f.payHouseholds[i%int64(len(f.payHouseholds))], AmountFen: 1, Method: financepb.Contribution_WECHAT, RequestId: fmt.Sprintf("%s-p%d", runTag, seq)}})
				return err
			},
			rest: func(ctx context.Context, w int, seq int64) error {
				i := pay.next()
				body := fmt.Sprintf(`{"householdId":%q,"amountFen":"1","method":"WECHAT","requestId":"%s-p%d"}`, f.payHouseholds[i%int64(len(f.payHouseholds))], runTag, seq)
				return c.rest(ctx, "POST", "/v1/projects/"+f.project+"/contributions", []byte(body))
			}},
		{name: "GetSurveyStats",
			grpc: func(ctx context.Context, w int, _ int64) error {
				_, err := c.svy[pick(w)].GetSurveyStats(c.ctx(ctx), &surveypb.GetSurveyStatsRequest{SurveyId: f.statsSurvey})
				return err
			},
			rest: func(ctx context.Context, _ int, _ int64) error {
				return c.rest(ctx, "GET", "/v1/surveys/"+f.statsSurvey+"/stats", nil)
			}},
		{name: "GetRanking",
			grpc: func(ctx context.Context, w int, _ int64) error {
				_, err := c.svy[pick(w)].GetRanking(c.ctx(ctx), &surveypb.GetRankingRequest{RegionId: f.district, PageSize: 20})
				return err
			},
			rest: func(ctx context.Context, _ int, _ int64) error {
				return c.rest(ctx, "GET", "/v1/rankings?pageSize=20&regionId="+url.QueryEscape(f.district), nil)
			}},
		{name: "GetCompound",
			grpc: func(ctx context.Context, w int, _ int64) error {
				_, err := c.gov[pick(w)].GetCompound(c.ctx(ctx), &governancepb.GetCompoundRequest{Id: f.payCompound})
				return err
			},
			rest: func(ctx context.Context, _ int, _ int64) error {
				return c.rest(ctx, "GET", "/v1/compounds/"+f.payCompound, nil)
			}},
		{name: "GetSchedule",
			grpc: func(ctx context.Context, w int, _ int64) error {
				_, err := c.prj[pick(w)].GetSchedule(c.ctx(ctx), &projectspb.GetScheduleRequest{ProjectId: f.project})
				return err
			},
			rest: func(ctx context.Context, _ int, _ int64) error {
				return c.rest(ctx, "GET", "/v1/projects/"+f.project+"/schedule", nil)
			}},
		{name: "GetBook",
			grpc: func(ctx context.Context, w int, _ int64) error {
				_, err := c.fin[pick(w)].GetBook(c.ctx(ctx), &financepb.GetBookRequest{BookId: f.book})
				return err
			},
			rest: func(ctx context.Context, _ int, _ int64) error {
				return c.rest(ctx, "GET", "/v1/books/"+f.book, nil)
			}},
	}
}

// seqCount hands out 0, 1, 2, ... to concurrent callers.
type seqCount struct{ n atomic.Int64 }

func (s *seqCount) next() int64 { return s.n.Add(1) - 1 }

// echoServer is the RPC stack's ceiling: the standard health service answering Check,
// with no interceptors, in this process.
func echoServer() (addr string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(l) }()
	return l.Addr().String(), srv.Stop, nil
}

func echoOp(conns []*grpc.ClientConn) op {
	var hs []healthpb.HealthClient
	for _, c := range conns {
		hs = append(hs, healthpb.NewHealthClient(c))
	}
	return func(ctx context.Context, w int, _ int64) error {
		_, err := hs[w%len(hs)].Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
}
