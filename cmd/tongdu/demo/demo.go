// Package demo loads a lived-in district into a running Tongdu through the services' own
// gRPC APIs: the Shiyang Road No. 21 story of the source article, and a synthetic but
// plausible Tongdu sub-district with the article's figures (322 compounds across its
// communities, 27 compound party branches, 49 linked units, 2,749 in-service party
// members, surveys in every state, projects at every stage). It is deterministic (a
// fixed seed) and idempotent: when the district exists it changes nothing.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"

	"tongdu/platform/dated"
)

// Figures of the source article the synthetic sub-district matches.
const (
	Compounds      = 322
	Branches       = 27
	LinkedUnits    = 49
	PartyMembers   = 2749
	DistrictName   = "东川区"
	SubdistrictNam = "铜都街道"
)

// Summary says what was loaded.
type Summary struct {
	AlreadyLoaded                                         bool
	DistrictID, StoryCompoundID, StoryProjectID           string
	Regions, Compounds, Households, Branches, LinkedUnits int
	PartyMembers, Surveys, Responses, Projects, Whistles  int
	Elapsed                                               time.Duration
}

// loader holds the clients and the caller's token.
type loader struct {
	gov  governancepb.GovernanceServiceClient
	svy  surveypb.SurveyServiceClient
	prj  projectspb.ProjectsServiceClient
	fin  financepb.FinanceServiceClient
	rnd  *rand.Rand
	log  *slog.Logger
	auth string

	mu  sync.Mutex
	sum Summary
}

// Load fills the district through conn as the holder of token (a DISTRICT_ADMIN).
func Load(ctx context.Context, conn grpc.ClientConnInterface, token string, log *slog.Logger) (Summary, error) {
	start := time.Now()
	l := &loader{
		gov: governancepb.NewGovernanceServiceClient(conn), svy: surveypb.NewSurveyServiceClient(conn),
		prj: projectspb.NewProjectsServiceClient(conn), fin: financepb.NewFinanceServiceClient(conn),
		rnd: rand.New(rand.NewPCG(2021, 1118)), log: log, auth: "Bearer " + token,
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", l.auth)
	districts, err := l.gov.ListRegions(ctx, &governancepb.ListRegionsRequest{PageSize: 1000})
	if err != nil {
		return Summary{}, fmt.Errorf("list districts: %w", err)
	}
	for _, d := range districts.GetRegions() {
		if d.GetName() == DistrictName {
			return Summary{AlreadyLoaded: true, DistrictID: d.GetId()}, nil
		}
	}
	if err := l.load(ctx); err != nil {
		return l.sum, err
	}
	l.sum.Elapsed = time.Since(start)
	return l.sum, nil
}

func (l *loader) count(f func(s *Summary)) {
	l.mu.Lock()
	f(&l.sum)
	l.mu.Unlock()
}

// parallel runs f for 0..n-1 on a few workers and returns the first error.
func parallel(n, workers int, f func(i int) error) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// china is the district's clock, which the demo's dates of record are written in.
var china = dated.Zone

// thisRound is the year of the demo's current round of renovation (its plans dated from
// that March, so the demo must be loaded after that September at the earliest).
const thisRound int32 = 2026
