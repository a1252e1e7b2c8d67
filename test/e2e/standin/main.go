// Command standin plays, for the e2e suite's local control plane, the parts of a real cluster that
// nothing runs there: MetalLB (LoadBalancer Service status from the stack's IPAddressPools), the
// ingress controller (Ingress status), a Gateway API controller (a Gateway's data-plane
// LoadBalancer Service and the Gateway's address, as NGINX Gateway Fabric provisions them, and its
// HTTPRoutes' Accepted and ResolvedRefs conditions) and a
// volume provisioner (a PersistentVolume for each claim of its StorageClass). It is a documented test stand-in: it only writes the status a real
// controller would write, so the program's own awaits still decide when a resource is ready.
// It steps aside for the real controllers: no LoadBalancer status while MetalLB's own chart is
// installed (its webhook configuration exists), no Ingress status while ingress-nginx's is, and only Gateways of NGINX Gateway Fabric's class
// (Traefik, the real Gateway controller of the traffic cases, serves its own).
// Event-driven through informers; no polling.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
)

var (
	poolGVR    = schema.GroupVersionResource{Group: "metallb.io", Version: "v1beta1", Resource: "ipaddresspools"}
	gatewayGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	classGVR   = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}
	routeGVR   = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
)

const (
	// The validating webhook configuration MetalLB's chart installs: while it exists, the real
	// MetalLB controller assigns the addresses.
	metallbWebhooks = "metallb-webhook-configuration"
	// The validating webhook configuration ingress-nginx's chart installs: while it exists, the real
	// controller publishes every Ingress's address.
	ingressNginxWebhooks = "ingress-nginx-admission"
	// The controller name of NGINX Gateway Fabric's GatewayClass, the only Gateways played here.
	ngfController = "gateway.nginx.org/nginx-gateway-controller"
)

// The label by which NGINX Gateway Fabric's data plane (pods and Service) names its Gateway.
const gatewayNameLabel = "gateway.networking.k8s.io/gateway-name"

const (
	// Annotations through which a Service asks MetalLB for an address and for sharing it.
	ipsAnnotation   = "metallb.io/loadBalancerIPs"
	shareAnnotation = "metallb.io/allow-shared-ip"
)

type standin struct {
	client       kubernetes.Interface
	dyn          dynamic.Interface
	services     cache.Indexer
	webhooks     cache.Indexer
	ingresses    cache.Indexer
	gateways     cache.Indexer
	routes       cache.Indexer
	queue        workqueue.TypedRateLimitingInterface[string]
	storageClass string
	volumeDir    string
	ingressAddr  string
	mu           sync.Mutex
}

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	storageClass := flag.String("storage-class", "standard", "StorageClass whose claims get a hostPath PersistentVolume")
	volumeDir := flag.String("volume-dir", "/tmp/bmp-volumes", "directory under which the hostPath volumes live")
	ingressAddr := flag.String("ingress-address", "", "address written into Ingress status when no ingress-nginx LoadBalancer Service has one")
	flag.Parse()

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("standin: kubeconfig: %v", err)
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	s := &standin{
		client: client,
		dyn:    dynamic.NewForConfigOrDie(cfg),
		// Retries back off from 50 ms to 1 s: a status the suite waits for must not sit behind a long back-off.
		queue:        workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](50*time.Millisecond, time.Second)),
		storageClass: *storageClass,
		volumeDir:    *volumeDir,
		ingressAddr:  *ingressAddr,
	}

	factory := informers.NewSharedInformerFactory(client, 0)
	svcInformer := factory.Core().V1().Services().Informer()
	ingInformer := factory.Networking().V1().Ingresses().Informer()
	pvcInformer := factory.Core().V1().PersistentVolumeClaims().Informer()
	s.services = svcInformer.GetIndexer()
	webhookInformer := factory.Admissionregistration().V1().ValidatingWebhookConfigurations().Informer()
	s.webhooks = webhookInformer.GetIndexer()
	s.ingresses = ingInformer.GetIndexer()
	enqueue := func(kind string) cache.ResourceEventHandlerFuncs {
		add := func(obj interface{}) {
			if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
				s.queue.Add(kind + "|" + key)
			}
		}
		return cache.ResourceEventHandlerFuncs{AddFunc: add, UpdateFunc: func(_, obj interface{}) { add(obj) }}
	}
	mustHandle(svcInformer.AddEventHandler(enqueue("svc")))
	// A controller Service getting its address changes every Ingress's status.
	mustHandle(svcInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj interface{}) {
			if isIngressController(obj.(*corev1.Service)) {
				for _, key := range ingInformer.GetIndexer().ListKeys() {
					s.queue.Add("ing|" + key)
				}
			}
		},
	}))
	mustHandle(ingInformer.AddEventHandler(enqueue("ing")))
	// A new or changed IPAddressPool may serve Services that are still waiting for an address.
	poolInformer := dynamicinformer.NewDynamicSharedInformerFactory(s.dyn, 0).ForResource(poolGVR).Informer()
	requeueLoadBalancers := func(interface{}) {
		for _, o := range s.services.List() {
			if svc := o.(*corev1.Service); svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
				s.queue.Add("svc|" + svc.Namespace + "/" + svc.Name)
			}
		}
	}
	mustHandle(poolInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: requeueLoadBalancers, UpdateFunc: func(_, o interface{}) { requeueLoadBalancers(o) }}))
	// MetalLB's chart going away hands the Services back to the stand-in.
	mustHandle(webhookInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: requeueLoadBalancers}))
	mustHandle(pvcInformer.AddEventHandler(enqueue("pvc")))
	// A Service made (or gone) may resolve (or break) a route's backend reference.
	requeueRoutes := func(interface{}) {
		s.mu.Lock()
		routes := s.routes
		s.mu.Unlock()
		if routes != nil {
			for _, key := range routes.ListKeys() {
				s.queue.Add("route|" + key)
			}
		}
	}
	mustHandle(svcInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: requeueRoutes, DeleteFunc: requeueRoutes}))
	// A data-plane Service getting its address is its Gateway's address.
	mustHandle(svcInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj interface{}) {
			if svc := obj.(*corev1.Service); svc.Labels[gatewayNameLabel] != "" {
				s.queue.Add("gw|" + svc.Namespace + "/" + svc.Labels[gatewayNameLabel])
			}
		},
	}))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	factory.Start(ctx.Done())
	go poolInformer.Run(ctx.Done())
	for t, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			log.Fatalf("standin: cache of %v did not sync", t)
		}
	}
	// The Gateway API CRDs are a prerequisite the suite applies after the cluster starts: the
	// Gateway informer starts once the API server serves them.
	go s.watchGateways(ctx, enqueue("gw"))
	log.Printf("standin: watching Services, Ingresses and PersistentVolumeClaims")
	go func() {
		<-ctx.Done()
		s.queue.ShutDown()
	}()
	for s.next(ctx) {
	}
}

func mustHandle(_ cache.ResourceEventHandlerRegistration, err error) {
	if err != nil {
		log.Fatalf("standin: %v", err)
	}
}

func (s *standin) next(ctx context.Context) bool {
	item, quit := s.queue.Get()
	if quit {
		return false
	}
	defer s.queue.Done(item)
	kind, key, _ := strings.Cut(item, "|")
	ns, name, _ := cache.SplitMetaNamespaceKey(key)
	var err error
	switch kind {
	case "svc":
		err = s.syncService(ctx, ns, name)
	case "ing":
		err = s.syncIngress(ctx, ns, name)
	case "pvc":
		err = s.syncClaim(ctx, ns, name)
	case "gw":
		err = s.syncGateway(ctx, ns, name)
	case "route":
		err = s.syncRoute(ctx, ns, name)
	}
	if err != nil {
		log.Printf("standin: %s %s: %v (retrying)", kind, key, err)
		s.queue.AddRateLimited(item)
		return true
	}
	s.queue.Forget(item)
	return true
}

// --- MetalLB ---------------------------------------------------------------------------------

func (s *standin) syncService(ctx context.Context, ns, name string) error {
	obj, exists, err := s.services.GetByKey(ns + "/" + name)
	if err != nil || !exists {
		return err
	}
	svc := obj.(*corev1.Service)
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || len(svc.Status.LoadBalancer.Ingress) > 0 {
		return nil
	}
	if _, real, _ := s.webhooks.GetByKey(metallbWebhooks); real {
		return nil // the real MetalLB is installed and assigns the address
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ip, err := s.chooseAddress(ctx, svc)
	if err != nil {
		return err
	}
	svc = svc.DeepCopy()
	mode := corev1.LoadBalancerIPModeVIP
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip, IPMode: &mode}}
	_, err = s.client.CoreV1().Services(ns).UpdateStatus(ctx, svc, metav1.UpdateOptions{})
	if err == nil {
		log.Printf("standin: Service %s/%s gets %s", ns, name, ip)
	}
	return err
}

// chooseAddress applies MetalLB's rules as far as the stack relies on them: a requested address
// must lie in a pool and may be shared only under the same sharing key; otherwise the lowest
// free address of the pools.
func (s *standin) chooseAddress(ctx context.Context, svc *corev1.Service) (string, error) {
	pools, err := s.pools(ctx)
	if err != nil {
		return "", err
	}
	if len(pools) == 0 {
		return "", fmt.Errorf("no IPAddressPool exists yet")
	}
	used := map[string]string{} // address → sharing key of its holder
	for _, o := range s.services.List() {
		other := o.(*corev1.Service)
		if other.Namespace == svc.Namespace && other.Name == svc.Name {
			continue
		}
		for _, ing := range other.Status.LoadBalancer.Ingress {
			used[ing.IP] = other.Annotations[shareAnnotation]
		}
	}
	requested := svc.Spec.LoadBalancerIP //nolint:staticcheck // the field MetalLB still honours
	if v := svc.Annotations[ipsAnnotation]; v != "" {
		requested = strings.Split(v, ",")[0]
	}
	inPool := func(ip net.IP) bool {
		for _, p := range pools {
			if p.contains(ip) {
				return true
			}
		}
		return false
	}
	if requested != "" {
		ip := net.ParseIP(requested)
		if ip == nil || !inPool(ip) {
			return "", fmt.Errorf("requested address %q is in no IPAddressPool", requested)
		}
		if key, taken := used[requested]; taken && (key == "" || key != svc.Annotations[shareAnnotation]) {
			return "", fmt.Errorf("address %s is already in use without the same %s", requested, shareAnnotation)
		}
		return requested, nil
	}
	for _, p := range pools {
		if !p.auto {
			continue
		}
		for a := p.first; a <= p.last; a++ {
			ip := u32ToIP(a).String()
			if _, taken := used[ip]; !taken {
				return ip, nil
			}
		}
	}
	return "", fmt.Errorf("every address of the pools is in use")
}

// ipRange is one entry of a pool; auto is false for a pool with autoAssign: false, whose
// addresses go only to Services that ask for them.
type ipRange struct {
	first, last uint32
	auto        bool
}

func (r ipRange) contains(ip net.IP) bool {
	v4 := ip.To4()
	if v4 == nil {
		return false
	}
	a := binary.BigEndian.Uint32(v4)
	return a >= r.first && a <= r.last
}

func u32ToIP(a uint32) net.IP {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, a)
	return ip
}

func (s *standin) pools(ctx context.Context) ([]ipRange, error) {
	list, err := s.dyn.Resource(poolGVR).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("the IPAddressPool CRD is not installed")
	}
	if err != nil {
		return nil, err
	}
	var out []ipRange
	for _, item := range list.Items {
		addrs, _, _ := unstructuredStrings(item.Object, "spec", "addresses")
		auto := true
		if spec, ok := item.Object["spec"].(map[string]interface{}); ok {
			if v, ok := spec["autoAssign"].(bool); ok {
				auto = v
			}
		}
		for _, a := range addrs {
			if r, ok := parseRange(a); ok {
				r.auto = auto
				out = append(out, r)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].first < out[j].first })
	return out, nil
}

func unstructuredStrings(obj map[string]interface{}, path ...string) ([]string, bool, error) {
	var cur interface{} = obj
	for _, p := range path {
		m, ok := cur.(map[string]interface{})
		if !ok {
			return nil, false, nil
		}
		cur = m[p]
	}
	items, ok := cur.([]interface{})
	if !ok {
		return nil, false, nil
	}
	out := make([]string, 0, len(items))
	for _, i := range items {
		if s, ok := i.(string); ok {
			out = append(out, s)
		}
	}
	return out, true, nil
}

func parseRange(a string) (ipRange, bool) {
	if strings.Contains(a, "/") {
		_, n, err := net.ParseCIDR(a)
		if err != nil || n.IP.To4() == nil {
			return ipRange{}, false
		}
		first := binary.BigEndian.Uint32(n.IP.To4())
		ones, bits := n.Mask.Size()
		return ipRange{first: first, last: first + uint32(1)<<(bits-ones) - 1}, true
	}
	lo, hi, ok := strings.Cut(a, "-")
	l, h := net.ParseIP(strings.TrimSpace(lo)), net.ParseIP(strings.TrimSpace(hi))
	if !ok || l.To4() == nil || h.To4() == nil {
		return ipRange{}, false
	}
	return ipRange{first: binary.BigEndian.Uint32(l.To4()), last: binary.BigEndian.Uint32(h.To4())}, true
}

// --- ingress controller -------------------------------------------------------------------------

func isIngressController(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Labels["app.kubernetes.io/name"] == "ingress-nginx"
}

func (s *standin) syncIngress(ctx context.Context, ns, name string) error {
	obj, exists, err := s.ingresses.GetByKey(ns + "/" + name)
	if err != nil || !exists {
		return err
	}
	if _, real, _ := s.webhooks.GetByKey(ingressNginxWebhooks); real {
		return nil // the real ingress-nginx is installed and writes the status
	}
	ing := obj.(*networkingv1.Ingress)
	addr := s.ingressAddr
	for _, o := range s.services.List() {
		if svc := o.(*corev1.Service); isIngressController(svc) && len(svc.Status.LoadBalancer.Ingress) > 0 {
			addr = svc.Status.LoadBalancer.Ingress[0].IP
		}
	}
	if addr == "" {
		return nil // no controller address yet: the Service event brings us back
	}
	if len(ing.Status.LoadBalancer.Ingress) == 1 && ing.Status.LoadBalancer.Ingress[0].IP == addr {
		return nil
	}
	ing = ing.DeepCopy()
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: addr}}
	_, err = s.client.NetworkingV1().Ingresses(ns).UpdateStatus(ctx, ing, metav1.UpdateOptions{})
	if err == nil {
		log.Printf("standin: Ingress %s/%s served at %s", ns, name, addr)
	}
	return err
}

// --- Gateway API controller ---------------------------------------------------------------------

// watchGateways waits (on discovery, once a second) until the API server serves Gateways, then
// runs their informer.
func (s *standin) watchGateways(ctx context.Context, handler cache.ResourceEventHandlerFuncs) {
	for {
		if _, err := s.client.Discovery().ServerResourcesForGroupVersion(gatewayGVR.GroupVersion().String()); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	informer := dynamicinformer.NewDynamicSharedInformerFactory(s.dyn, 0).ForResource(gatewayGVR).Informer()
	s.mu.Lock()
	s.gateways = informer.GetIndexer()
	s.mu.Unlock()
	mustHandle(informer.AddEventHandler(handler))
	routeInformer := dynamicinformer.NewDynamicSharedInformerFactory(s.dyn, 0).ForResource(routeGVR).Informer()
	s.mu.Lock()
	s.routes = routeInformer.GetIndexer()
	s.mu.Unlock()
	mustHandle(routeInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			s.queue.Add("route|" + obj.(*unstructured.Unstructured).GetNamespace() + "/" + obj.(*unstructured.Unstructured).GetName())
		},
		UpdateFunc: func(_, obj interface{}) {
			s.queue.Add("route|" + obj.(*unstructured.Unstructured).GetNamespace() + "/" + obj.(*unstructured.Unstructured).GetName())
		},
	}))
	go routeInformer.Run(ctx.Done())
	log.Printf("standin: watching Gateways and HTTPRoutes")
	informer.Run(ctx.Done())
}

// syncRoute writes what NGINX Gateway Fabric writes on an HTTPRoute attached to one of its
// Gateways: for its first parent, Accepted true, and ResolvedRefs true when every backend Service
// exists (false, BackendNotFound, naming the missing one, otherwise).
func (s *standin) syncRoute(ctx context.Context, ns, name string) error {
	s.mu.Lock()
	routes := s.routes
	s.mu.Unlock()
	obj, exists, err := routes.GetByKey(ns + "/" + name)
	if err != nil || !exists {
		return err
	}
	route := obj.(*unstructured.Unstructured)
	parents, _, _ := unstructured.NestedSlice(route.Object, "spec", "parentRefs")
	if len(parents) == 0 {
		return nil
	}
	parent, _ := parents[0].(map[string]interface{})
	gwName, _ := parent["name"].(string)
	gwNamespace, _ := parent["namespace"].(string)
	if gwNamespace == "" {
		gwNamespace = ns
	}
	gw, err := s.dyn.Resource(gatewayGVR).Namespace(gwNamespace).Get(ctx, gwName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil // requeued when the route changes; a Gateway made later is not played
	}
	if err != nil {
		return err
	}
	class, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName")
	gc, err := s.dyn.Resource(classGVR).Get(ctx, class, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if controller, _, _ := unstructured.NestedString(gc.Object, "spec", "controllerName"); controller != ngfController {
		return nil
	}
	resolved, reason, message := "True", "ResolvedRefs", "the e2e stand-in: every backend exists"
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	for _, r := range rules {
		refs, _, _ := unstructured.NestedSlice(r.(map[string]interface{}), "backendRefs")
		for _, ref := range refs {
			m := ref.(map[string]interface{})
			svcName, _ := m["name"].(string)
			svcNamespace, _ := m["namespace"].(string)
			if svcNamespace == "" {
				svcNamespace = ns
			}
			if _, found, _ := s.services.GetByKey(svcNamespace + "/" + svcName); !found && resolved == "True" {
				resolved, reason, message = "False", "BackendNotFound", fmt.Sprintf("the e2e stand-in: Service %s/%s not found", svcNamespace, svcName)
			}
		}
	}
	now := metav1.Now().UTC().Format(time.RFC3339)
	generation := route.GetGeneration()
	condition := func(kind, status, reason, message string) interface{} {
		return map[string]interface{}{"type": kind, "status": status, "reason": reason, "message": message, "observedGeneration": generation, "lastTransitionTime": now}
	}
	want := []interface{}{map[string]interface{}{
		"parentRef":      map[string]interface{}{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gwName, "namespace": gwNamespace},
		"controllerName": ngfController,
		"conditions":     []interface{}{condition("Accepted", "True", "Accepted", "the e2e stand-in"), condition("ResolvedRefs", resolved, reason, message)},
	}}
	current, _, _ := unstructured.NestedSlice(route.Object, "status", "parents")
	if len(current) == 1 {
		conds, _, _ := unstructured.NestedSlice(current[0].(map[string]interface{}), "conditions")
		if len(conds) == 2 {
			c1, c2 := conds[0].(map[string]interface{}), conds[1].(map[string]interface{})
			if c1["observedGeneration"] == generation && c2["status"] == resolved && c2["observedGeneration"] == generation {
				return nil
			}
		}
	}
	route = route.DeepCopy()
	if err := unstructured.SetNestedSlice(route.Object, want, "status", "parents"); err != nil {
		return err
	}
	if _, err := s.dyn.Resource(routeGVR).Namespace(ns).UpdateStatus(ctx, route, metav1.UpdateOptions{}); err != nil {
		return err
	}
	log.Printf("standin: HTTPRoute %s/%s accepted by %s/%s, ResolvedRefs %s", ns, name, gwNamespace, gwName, resolved)
	return nil
}

// syncGateway does what NGINX Gateway Fabric's provisioner does for a Gateway, as far as the stack
// sees it: a LoadBalancer Service `<gateway>-<class>` carrying spec.infrastructure's annotations
// (MetalLB's address among them), owned by the Gateway; then the Service's address as the
// Gateway's status address, with Accepted and Programmed true.
func (s *standin) syncGateway(ctx context.Context, ns, name string) error {
	s.mu.Lock()
	gateways := s.gateways
	s.mu.Unlock()
	if gateways == nil {
		return fmt.Errorf("the Gateway informer has not started")
	}
	obj, exists, err := gateways.GetByKey(ns + "/" + name)
	if err != nil || !exists {
		return err
	}
	gw := obj.(*unstructured.Unstructured)
	class, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName")
	gc, err := s.dyn.Resource(classGVR).Get(ctx, class, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if controller, _, _ := unstructured.NestedString(gc.Object, "spec", "controllerName"); controller != ngfController {
		return nil // another controller (Traefik) serves this class
	}
	annotations, _, _ := unstructured.NestedStringMap(gw.Object, "spec", "infrastructure", "annotations")
	svcName := name + "-" + class
	svc, err := s.client.CoreV1().Services(ns).Get(ctx, svcName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		controller := true
		svc = &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{
				Name:            svcName,
				Namespace:       ns,
				Labels:          map[string]string{gatewayNameLabel: name, "app.kubernetes.io/name": svcName},
				Annotations:     annotations,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "gateway.networking.k8s.io/v1", Kind: "Gateway", Name: name, UID: gw.GetUID(), Controller: &controller}},
			},
			Spec: corev1.ServiceSpec{
				Type:                  corev1.ServiceTypeLoadBalancer,
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
				Selector:              map[string]string{gatewayNameLabel: name},
				Ports:                 []corev1.ServicePort{{Name: "port-80", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}},
			},
		}
		if _, err := s.client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			return err
		}
		log.Printf("standin: Gateway %s/%s gets its data-plane Service %s", ns, name, svcName)
		return nil // the Service's address comes back as an update event
	}
	if err != nil {
		return err
	}
	if len(svc.Status.LoadBalancer.Ingress) == 0 {
		return nil
	}
	addr := svc.Status.LoadBalancer.Ingress[0].IP
	current, _, _ := unstructured.NestedSlice(gw.Object, "status", "addresses")
	if len(current) == 1 {
		if a, ok := current[0].(map[string]interface{}); ok && a["value"] == addr {
			return nil
		}
	}
	gw = gw.DeepCopy()
	now := metav1.Now().UTC().Format(time.RFC3339)
	condition := func(kind, reason string) interface{} {
		return map[string]interface{}{"type": kind, "status": "True", "reason": reason, "message": "the e2e stand-in", "observedGeneration": gw.GetGeneration(), "lastTransitionTime": now}
	}
	if err := unstructured.SetNestedSlice(gw.Object, []interface{}{map[string]interface{}{"type": "IPAddress", "value": addr}}, "status", "addresses"); err != nil {
		return err
	}
	if err := unstructured.SetNestedSlice(gw.Object, []interface{}{condition("Accepted", "Accepted"), condition("Programmed", "Programmed")}, "status", "conditions"); err != nil {
		return err
	}
	if _, err := s.dyn.Resource(gatewayGVR).Namespace(ns).UpdateStatus(ctx, gw, metav1.UpdateOptions{}); err != nil {
		return err
	}
	log.Printf("standin: Gateway %s/%s served at %s", ns, name, addr)
	return nil
}

// --- volumes ------------------------------------------------------------------------------------

func (s *standin) syncClaim(ctx context.Context, ns, name string) error {
	pvc, err := s.client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	class := ""
	if pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	if pvc.Status.Phase != corev1.ClaimPending || pvc.Spec.VolumeName != "" || class != s.storageClass {
		return nil
	}
	pvName := fmt.Sprintf("standin-%s", pvc.UID)
	size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if size.IsZero() {
		size = resource.MustParse("1Gi")
	}
	// As local-path does: the folder exists before the pod and any user of the pod may write to it
	// (a kubelet would make it root's, mode 0755, and MinIO runs as its own user).
	dir := filepath.Join(s.volumeDir, pvName)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		return err
	}
	hostPathType := corev1.HostPathDirectoryOrCreate
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pvName, Labels: map[string]string{"bmp.local/standin": "true"}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			StorageClassName:              class,
			ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: ns, Name: name, UID: pvc.UID},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: dir, Type: &hostPathType},
			},
		},
	}
	_, err = s.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err == nil {
		log.Printf("standin: claim %s/%s gets volume %s (%s)", ns, name, pvName, size.String())
	}
	return err
}
