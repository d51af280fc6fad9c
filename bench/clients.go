package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// clients holds a few gRPC connections (spread over workers) and one HTTP client.
type clients struct {
	conns []*grpc.ClientConn
	gov   []governancepb.GovernanceServiceClient
	svy   []surveypb.SurveyServiceClient
	prj   []projectspb.ProjectsServiceClient
	fin   []financepb.FinanceServiceClient
	http  *http.Client
	base  string
	auth  string
}

func dialPool(addr string, n int) ([]*grpc.ClientConn, error) {
	var out []*grpc.ClientConn
	for range n {
		c, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func newClients(s *stack, pool int) (*clients, error) {
	conns, err := dialPool(s.grpcAddr, pool)
	if err != nil {
		return nil, err
	}
	c := &clients{conns: conns, base: "http://" + s.httpAddr, auth: "Bearer " + s.token}
	for _, cc := range conns {
		c.gov = append(c.gov, governancepb.NewGovernanceServiceClient(cc))
		c.svy = append(c.svy, surveypb.NewSurveyServiceClient(cc))
		c.prj = append(c.prj, projectspb.NewProjectsServiceClient(cc))
		c.fin = append(c.fin, financepb.NewFinanceServiceClient(cc))
	}
	c.http = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     time.Minute,
	}}
	return c, nil
}

func (c *clients) close() {
	for _, cc := range c.conns {
		cc.Close()
	}
}

// ctx adds the bearer token to an outgoing gRPC call.
func (c *clients) ctx(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", c.auth)
}

// rest calls the gateway and drains the answer; any status but 2xx is an error.
func (c *clients) rest(ctx context.Context, method, path string, body []byte) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", c.auth)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
