// bash completion (data/bangerctl.bash-completion) in a real bash, against a
// running bangerd: verbs and options from bangerctl's own command tree, live
// VM and network names where a command takes one.
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace banger::test {
namespace {

class Completion : public ClientTest {
 protected:
  // The candidates bash offers for `line` (the last word is the one being completed).
  std::set<std::string> complete(const std::vector<std::string>& words) {
    std::string array;
    for (const auto& w : words) array += " '" + w + "'";
    const char* source_root = std::getenv("BANGER_SOURCE_ROOT");
    const std::string script = "source '" + std::string(source_root ? source_root : ".") +
                               "/data/bangerctl.bash-completion'; COMP_WORDS=(" + array + "); COMP_CWORD=" +
                               std::to_string(words.size() - 1) + "; _bangerctl; printf '%s\\n' \"${COMPREPLY[@]}\"";
    // COMP_WORDS[0] is the command bash would run: the bangerctl under test.
    auto r = env().run_as("", {"bash", "-c", script});
    EXPECT_TRUE(r.ok()) << r.describe();
    std::set<std::string> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) out.insert(line);
    return out;
  }
};

TEST_F(Completion, VerbsOptionsAndLiveNames) {
  const std::string ctl = env().bangerctl();
  client_->create_ready(*recorder_, "alpha");
  client_->create_ready(*recorder_, "alpine");
  client_->create_ready(*recorder_, "beta");

  EXPECT_EQ(complete({ctl, "st"}), (std::set<std::string>{"start", "stats", "stop"}));
  EXPECT_EQ(complete({ctl, "start", "al"}), (std::set<std::string>{"alpha", "alpine"}));
  EXPECT_EQ(complete({ctl, "--json", "delete", ""}), (std::set<std::string>{"alpha", "alpine", "beta"}));
  EXPECT_EQ(complete({ctl, "stop", "--f"}), (std::set<std::string>{"--force"}));
  EXPECT_TRUE(complete({ctl, "create", "new", "--"}).count("--work-disk"));
  EXPECT_TRUE(complete({ctl, "create", "new", "--image", "x", "--w"}).count("--workspace"));
  EXPECT_TRUE(complete({ctl, "network", "show", ""}).count("default"));
  // A name to be made is not completed from existing ones.
  EXPECT_TRUE(complete({ctl, "create", "al"}).empty());
  EXPECT_TRUE(complete({ctl, "__comp"}).empty()) << "the back end itself stays hidden";
}

// Issue 19: snapshot's verbs, the VM, then that VM's checkpoint names (not for a name to be made);
// clone --from takes them too.
TEST_F(Completion, SnapshotVerbsVmsAndCheckpointNames) {
  const std::string ctl = env().bangerctl();
  const auto vm = client_->create_ready(*recorder_, "gamma");
  client_->create_ready(*recorder_, "delta");
  ASSERT_TRUE(env().run_as("", {ctl, "--no-progress", "snapshot", "create", "gamma", "before-upgrade"}).ok());
  ASSERT_TRUE(env().run_as("", {ctl, "--no-progress", "snapshot", "create", "gamma", "baseline"}).ok());
  EXPECT_EQ(complete({ctl, "snapshot", "r"}), (std::set<std::string>{"restore", "rm"}));
  EXPECT_EQ(complete({ctl, "snapshot", "restore", "gam"}), (std::set<std::string>{"gamma"}));
  EXPECT_EQ(complete({ctl, "snapshot", "restore", "gamma", "b"}),
            (std::set<std::string>{"before-upgrade", "baseline"}));
  EXPECT_EQ(complete({ctl, "snapshot", "rm", "gamma", "bef"}), (std::set<std::string>{"before-upgrade"}));
  EXPECT_TRUE(complete({ctl, "snapshot", "rm", "delta", ""}).empty()) << "delta has none";
  EXPECT_TRUE(complete({ctl, "snapshot", "create", "gamma", "b"}).empty());
  // clone VM NEW_NAME --from CHECKPOINT: that VM's checkpoint names; the copy is then made of one.
  EXPECT_EQ(complete({ctl, "clone", "gamma", "copy", "--from", "bef"}), (std::set<std::string>{"before-upgrade"}));
  EXPECT_TRUE(complete({ctl, "clone", "delta", "copy", "--from", ""}).empty()) << "delta has none";
  ASSERT_TRUE(env().run_as("", {ctl, "--no-progress", "clone", "gamma", "gamma-copy", "--from", "baseline"}).ok());
  EXPECT_EQ(client_->vm_string(client_->get_vm("gamma-copy"), "State"), "created");
}

}  // namespace
}  // namespace banger::test
