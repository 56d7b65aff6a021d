// A real etcd cluster as a Target. Every node gets the same --initial-cluster (name=peer URL for
// every member), which is why etcd needs the netns backend: under the proxy backend each node
// would dial its peers at relay addresses of its own, and etcd checks that every member's
// advertised peer URLs match the shared list (needs_shared_peer_addresses()).
//
// The data directory is the node's data_dir, kept across kills. A first start says
// --initial-cluster-state new; a restart says existing. (etcd 3.4 ignores the initial-cluster
// flags once its data directory holds a member, so "new" would work too, but "existing" is what
// etcd documents for a member rejoining, and it is also right for a node killed before it wrote
// its first WAL entry: that node then joins the running cluster instead of bootstrapping anew.)
#include <sys/stat.h>
#include <unistd.h>

#include "targets/etcd/etcd_client.h"
#include "targets/target.h"

namespace faultline::targets {
namespace {

std::string Url(const std::string& host_port) { return "http://" + host_port; }

// Immutable after construction; safe to share between threads.
class EtcdTarget final : public Target {
 public:
  EtcdTarget(std::string etcd_path, EtcdReads reads)
      : etcd_path_(std::move(etcd_path)), reads_(reads) {}

  std::string name() const override { return "etcd"; }

  Status Check() const override {
    struct stat st {};
    if (::stat(etcd_path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        ::access(etcd_path_.c_str(), X_OK) != 0) {
      return Status::InvalidArgument("etcd not found at " + etcd_path_ +
                                     " (install it: apt-get install etcd-server)");
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> NodeCommand(const base::NodeAddress& self, const PeerList& peers,
                                               const std::string& data_dir) const override {
    return Command(self, peers, data_dir, "new");
  }

  Result<std::vector<std::string>> RestartCommand(const base::NodeAddress& self,
                                                  const PeerList& peers,
                                                  const std::string& data_dir) const override {
    return Command(self, peers, data_dir, "existing");
  }

  std::unique_ptr<Client> NewClient(const base::NodeAddress& node,
                                    const ClientOptions& options) const override {
    return MakeEtcdClient(node, options, reads_);
  }

  bool supports_locks() const override { return true; }   // the lock API with a lease
  bool supports_status() const override { return true; }  // /v3/maintenance/status
  bool needs_shared_peer_addresses() const override { return true; }

 private:
  Result<std::vector<std::string>> Command(const base::NodeAddress& self, const PeerList& peers,
                                           const std::string& data_dir,
                                           const std::string& state) const {
    std::string cluster;
    std::string self_peer;
    for (const auto& [id, address] : peers) {
      cluster += (cluster.empty() ? "" : ",") + id + "=" + Url(address);
      if (id == self.id) self_peer = Url(address);
    }
    if (self_peer.empty()) {
      return Status::InvalidArgument("etcd: " + self.id + " is not in its own peer list");
    }
    const std::string client = BaseUrl(self.host, self.client_port);
    const std::string peer = BaseUrl(self.host, self.peer_port);
    return std::vector<std::string>{etcd_path_,
                                    "--name=" + self.id,
                                    "--data-dir=" + data_dir,
                                    "--listen-client-urls=" + client,
                                    "--advertise-client-urls=" + client,
                                    "--listen-peer-urls=" + peer,
                                    "--initial-advertise-peer-urls=" + self_peer,
                                    "--initial-cluster=" + cluster,
                                    "--initial-cluster-state=" + state,
                                    "--initial-cluster-token=faultline",
                                    "--logger=zap",
                                    "--log-outputs=stderr"};
  }

  const std::string etcd_path_;
  const EtcdReads reads_;
};

}  // namespace

std::unique_ptr<Target> MakeEtcdTarget(std::string etcd_path, bool serializable_reads) {
  return std::make_unique<EtcdTarget>(std::move(etcd_path), serializable_reads
                                                                ? EtcdReads::kSerializable
                                                                : EtcdReads::kLinearizable);
}

}  // namespace faultline::targets
