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

// clients holds a few gRPC connections to each service (spread over workers) and one
// HTTP client.
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

// endpoints are where a deployment answers: each service's gRPC address (one and the
// same for the all-in-one), the gateway's HTTP address and the bearer token.
type endpoints struct {
	gov, svy, prj, fin string
	http, token        string
}

func (s *stack) endpoints() endpoints {
	return endpoints{gov: s.grpcAddr, svy: s.grpcAddr, prj: s.grpcAddr, fin: s.grpcAddr, http: s.httpAddr, token: s.token}
}

func (s *splitStack) endpoints() endpoints {
	return endpoints{gov: s.grpcAddrs["governance"], svy: s.grpcAddrs["survey"], prj: s.grpcAddrs["projects"], fin: s.grpcAddrs["finance"], http: s.httpAddr, token: s.token}
}

// newClients dials pool connections to each distinct gRPC address of ep: the all-in-one
// gets pool connections that every service's client shares, a split deployment pool to
// each service.
func newClients(ep endpoints, pool int) (*clients, error) {
	c := &clients{base: "http://" + ep.http, auth: "Bearer " + ep.token}
	dialed := map[string][]*grpc.ClientConn{}
	conns := func(addr string) ([]*grpc.ClientConn, error) {
		if cs, ok := dialed[addr]; ok {
			return cs, nil
		}
		cs, err := dialPool(addr, pool)
		if err != nil {
			return nil, err
		}
		dialed[addr] = cs
		c.conns = append(c.conns, cs...)
		return cs, nil
	}
	for _, d := range []struct {
		addr string
		add  func(*grpc.ClientConn)
	}{
		{ep.gov, func(cc *grpc.ClientConn) { c.gov = append(c.gov, governancepb.NewGovernanceServiceClient(cc)) }},
		{ep.svy, func(cc *grpc.ClientConn) { c.svy = append(c.svy, surveypb.NewSurveyServiceClient(cc)) }},
		{ep.prj, func(cc *grpc.ClientConn) { c.prj = append(c.prj, projectspb.NewProjectsServiceClient(cc)) }},
		{ep.fin, func(cc *grpc.ClientConn) { c.fin = append(c.fin, financepb.NewFinanceServiceClient(cc)) }},
	} {
		cs, err := conns(d.addr)
		if err != nil {
			c.close()
			return nil, err
		}
		for _, cc := range cs {
			d.add(cc)
		}
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
