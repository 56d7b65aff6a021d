// A real ZooKeeper ensemble (Debian's zookeeper 3.8) as a Target. Each node gets, in its data
// directory, a zoo.cfg (ZooCfg: its own dataDir, client port, quorum port = its peer port,
// election port = peer port + 1, every member listed) and the myid file, written by PrepareNode
// before the first start and kept for restarts on the same data, with a log4j.properties that
// sends the server's log to stderr. The node runs as
//   java -Xmx256m -Dlog4j.configuration=file:<data>/log4j.properties -cp /etc/zookeeper/conf:
//        /usr/share/java/zookeeper.jar:<slf4j-log4j12, log4j-1.2> QuorumPeerMain <zoo.cfg>
// zookeeper.jar's manifest lists its dependency jars (Debian's zkEnv.sh uses the same classpath);
// the slf4j binding and log4j are added so that the server logs at all, to stderr
// (nodes/<id>/stderr.log, whose last lines the harness shows when a node exits, as for etcd).
// java is the pid the harness signals (pause = SIGSTOP).
//
// Every member must list every other at the same address (server.N lines), so ZooKeeper needs
// the netns backend, like etcd (needs_shared_peer_addresses()).
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "targets/target.h"
#include "targets/zookeeper/zk_client.h"

namespace faultline::targets {
namespace {

bool IsFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Immutable after construction; safe to share between threads.
class ZooKeeperTarget final : public Target {
 public:
  explicit ZooKeeperTarget(ZooKeeperSettings s) : s_(std::move(s)) {}

  std::string name() const override { return "zookeeper"; }

  Status Check() const override {
    const std::string jar = s_.jar_dir + "/zookeeper.jar";
    if (!IsFile(jar)) {
      return Status::InvalidArgument("ZooKeeper not found at " + jar +
                                     " (install it: apt-get install zookeeper)");
    }
    if (!IsFile(s_.java) || ::access(s_.java.c_str(), X_OK) != 0) {
      return Status::InvalidArgument("java not found at " + s_.java +
                                     " (install it: apt-get install zookeeper)");
    }
    return Status::Ok();
  }

  Status PrepareNode(const base::NodeAddress& self, const PeerList& peers,
                     const std::string& data_dir) const override {
    Result<std::string> cfg = ZooCfg(self, peers, data_dir);
    if (!cfg.ok()) return cfg.status();
    {
      std::ofstream out(data_dir + "/zoo.cfg");
      out << *cfg;
      if (!out) return Status::IoError("cannot write " + data_dir + "/zoo.cfg");
    }
    {
      std::ofstream myid(data_dir + "/myid");
      myid << self.id.substr(1) << "\n";
      if (!myid) return Status::IoError("cannot write " + data_dir + "/myid");
    }
    std::ofstream log(data_dir + "/log4j.properties");
    log << "# written by faultline: the server's log to stderr\n"
           "log4j.rootLogger=INFO, CONSOLE\n"
           "log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender\n"
           "log4j.appender.CONSOLE.Target=System.err\n"
           "log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout\n"
           "log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - "
           "%m%n\n";
    if (!log) return Status::IoError("cannot write " + data_dir + "/log4j.properties");
    return Status::Ok();
  }

  Result<std::vector<std::string>> NodeCommand(const base::NodeAddress&, const PeerList&,
                                               const std::string& data_dir) const override {
    std::string cp = s_.conf_dir + ":" + s_.jar_dir + "/zookeeper.jar";
    // The log4j binding, when installed: without it slf4j drops every log line.
    for (const char* jar : {"slf4j-log4j12.jar", "log4j-1.2.jar"}) {
      if (IsFile(s_.jar_dir + "/" + jar)) cp += ":" + s_.jar_dir + "/" + jar;
    }
    return std::vector<std::string>{s_.java,
                                    "-Xmx256m",
                                    "-Dlog4j.configuration=file:" + data_dir + "/log4j.properties",
                                    "-cp",
                                    cp,
                                    "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                                    data_dir + "/zoo.cfg"};
  }

  std::unique_ptr<Client> NewClient(const base::NodeAddress& node,
                                    const ClientOptions& options) const override {
    return MakeZooKeeperClient(node, options, s_.sync_reads ? ZkReads::kSync : ZkReads::kPlain,
                               s_.lease_ms);
  }

  bool supports_locks() const override { return true; }   // ephemeral sequential znodes
  bool supports_status() const override { return true; }  // srvr
  bool needs_shared_peer_addresses() const override { return true; }

 private:
  const ZooKeeperSettings s_;
};

}  // namespace

std::unique_ptr<Target> MakeZooKeeperTarget(ZooKeeperSettings settings) {
  return std::make_unique<ZooKeeperTarget>(std::move(settings));
}

}  // namespace faultline::targets
