#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/state_machine.h"

namespace banger {
namespace {

std::optional<ErrorKind> refusal(Verb verb, VmState state) {
  try {
    require_allowed(verb, state, "vm");
    return std::nullopt;
  } catch (const Error& e) {
    return e.kind();
  }
}

TEST(StateMachine, StartOnlyFromDownStates) {
  EXPECT_FALSE(refusal(Verb::start, VmState::created));
  EXPECT_FALSE(refusal(Verb::start, VmState::stopped));
  EXPECT_FALSE(refusal(Verb::start, VmState::failed));
  EXPECT_EQ(refusal(Verb::start, VmState::running), ErrorKind::invalid_state);
  EXPECT_EQ(refusal(Verb::start, VmState::starting), ErrorKind::invalid_state);
}

TEST(StateMachine, CreatingIsBusyForEverythingButTouch) {
  for (auto verb : {Verb::start, Verb::stop, Verb::force_stop, Verb::restart, Verb::kill, Verb::remove,
                    Verb::set_hardware, Verb::rename})
    EXPECT_EQ(refusal(verb, VmState::creating), ErrorKind::busy) << to_string(verb);
  EXPECT_FALSE(refusal(Verb::touch, VmState::creating));
}

TEST(StateMachine, DeleteOfRunningVmIsInvalidStateWithHint) {
  try {
    require_allowed(Verb::remove, VmState::running, "web");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_state);
    EXPECT_NE(std::string(e.what()).find("web"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("stop it first"), std::string::npos);
  }
}

TEST(StateMachine, HardwareChangesOnlyWhileDownRenameAnyTime) {
  EXPECT_EQ(refusal(Verb::set_hardware, VmState::running), ErrorKind::invalid_state);
  EXPECT_FALSE(refusal(Verb::set_hardware, VmState::stopped));
  EXPECT_FALSE(refusal(Verb::rename, VmState::running));
  EXPECT_FALSE(refusal(Verb::rename, VmState::stopped));
}

TEST(StateMachine, ForceStopReachesTransitionalStatesPlainStopDoesNot) {
  EXPECT_FALSE(refusal(Verb::force_stop, VmState::starting));
  EXPECT_FALSE(refusal(Verb::force_stop, VmState::stopping));
  EXPECT_EQ(refusal(Verb::stop, VmState::starting), ErrorKind::invalid_state);
  EXPECT_EQ(refusal(Verb::stop, VmState::stopped), ErrorKind::invalid_state);
}

TEST(StateMachine, Transitions) {
  EXPECT_TRUE(is_valid_transition(VmState::creating, VmState::created));
  EXPECT_TRUE(is_valid_transition(VmState::created, VmState::starting));
  EXPECT_TRUE(is_valid_transition(VmState::starting, VmState::running));
  EXPECT_TRUE(is_valid_transition(VmState::starting, VmState::failed));
  EXPECT_TRUE(is_valid_transition(VmState::running, VmState::stopping));
  EXPECT_TRUE(is_valid_transition(VmState::stopping, VmState::stopped));
  EXPECT_FALSE(is_valid_transition(VmState::created, VmState::running));
  EXPECT_FALSE(is_valid_transition(VmState::stopped, VmState::stopping));
  EXPECT_FALSE(is_valid_transition(VmState::running, VmState::creating));
}

// What each verb does on a paused VM (VM.xml, Pause): the table in one place.
TEST(StateMachine, PausedVmsTakeStopKillRestartRenameTouchAndResumeOnly) {
  for (auto verb : {Verb::stop, Verb::force_stop, Verb::kill, Verb::restart, Verb::rename, Verb::touch, Verb::resume})
    EXPECT_FALSE(refusal(verb, VmState::paused)) << to_string(verb);
  for (auto verb : {Verb::start, Verb::pause, Verb::remove, Verb::set_hardware, Verb::clone})
    EXPECT_EQ(refusal(verb, VmState::paused), ErrorKind::invalid_state) << to_string(verb);
}

TEST(StateMachine, PauseOnlyFromRunningResumeOnlyFromPaused) {
  for (auto s : {VmState::created, VmState::starting, VmState::stopping, VmState::stopped, VmState::failed}) {
    EXPECT_EQ(refusal(Verb::pause, s), ErrorKind::invalid_state) << to_string(s);
    EXPECT_EQ(refusal(Verb::resume, s), ErrorKind::invalid_state) << to_string(s);
  }
  EXPECT_FALSE(refusal(Verb::pause, VmState::running));
  EXPECT_EQ(refusal(Verb::resume, VmState::running), ErrorKind::invalid_state);
  EXPECT_EQ(refusal(Verb::pause, VmState::creating), ErrorKind::busy);
}

TEST(StateMachine, PausedTransitions) {
  EXPECT_TRUE(is_valid_transition(VmState::running, VmState::paused));
  EXPECT_TRUE(is_valid_transition(VmState::paused, VmState::running));
  EXPECT_TRUE(is_valid_transition(VmState::paused, VmState::stopping));
  EXPECT_TRUE(is_valid_transition(VmState::paused, VmState::failed));
  EXPECT_FALSE(is_valid_transition(VmState::paused, VmState::starting));
  EXPECT_FALSE(is_valid_transition(VmState::stopped, VmState::paused));
  EXPECT_FALSE(is_valid_transition(VmState::starting, VmState::paused));
}

TEST(StateMachine, StateNamesRoundTrip) {
  for (auto s : {VmState::creating, VmState::created, VmState::starting, VmState::running, VmState::stopping,
                 VmState::stopped, VmState::failed, VmState::paused, VmState::suspended})
    EXPECT_EQ(parse_vm_state(to_string(s)), s);
  EXPECT_FALSE(parse_vm_state("hibernating"));
}

// What each verb does on a suspended VM (VM.xml, Suspend): the table in one place.
TEST(StateMachine, SuspendedVmsTakeStartStopKillDeleteRenameAndTouchOnly) {
  for (auto verb : {Verb::start, Verb::stop, Verb::force_stop, Verb::kill, Verb::remove, Verb::rename, Verb::touch})
    EXPECT_FALSE(refusal(verb, VmState::suspended)) << to_string(verb);
  for (auto verb : {Verb::restart, Verb::pause, Verb::resume, Verb::suspend, Verb::set_hardware, Verb::clone})
    EXPECT_EQ(refusal(verb, VmState::suspended), ErrorKind::invalid_state) << to_string(verb);
  for (auto s : {VmState::created, VmState::starting, VmState::stopping, VmState::stopped, VmState::failed})
    EXPECT_EQ(refusal(Verb::suspend, s), ErrorKind::invalid_state) << to_string(s);
  EXPECT_FALSE(refusal(Verb::suspend, VmState::running));
  EXPECT_FALSE(refusal(Verb::suspend, VmState::paused));
}

TEST(StateMachine, SuspendedTransitions) {
  EXPECT_TRUE(is_valid_transition(VmState::running, VmState::suspended));
  EXPECT_TRUE(is_valid_transition(VmState::paused, VmState::suspended));
  EXPECT_TRUE(is_valid_transition(VmState::suspended, VmState::starting));
  EXPECT_TRUE(is_valid_transition(VmState::suspended, VmState::stopped));
  EXPECT_TRUE(is_valid_transition(VmState::starting, VmState::suspended));  // a restore that did not load
  EXPECT_FALSE(is_valid_transition(VmState::suspended, VmState::running));  // only through a restore
  // A memory checkpoint's Restore installs its state as the saved one, then starts the VM.
  EXPECT_TRUE(is_valid_transition(VmState::stopped, VmState::suspended));
  EXPECT_TRUE(is_valid_transition(VmState::created, VmState::suspended));
  EXPECT_FALSE(is_valid_transition(VmState::failed, VmState::suspended));
}

TEST(StateMachine, CheckpointsAreTakenOfCleanOrRunningVmsAndRestoredOverAnyButFailedOnes) {
  for (auto s : {VmState::created, VmState::stopped, VmState::running, VmState::paused}) {
    EXPECT_FALSE(refusal(Verb::snapshot, s)) << to_string(s);
    EXPECT_FALSE(refusal(Verb::restore_snapshot, s)) << to_string(s);
  }
  EXPECT_FALSE(refusal(Verb::restore_snapshot, VmState::suspended));
  for (auto s : {VmState::starting, VmState::stopping, VmState::failed}) {
    EXPECT_EQ(refusal(Verb::snapshot, s), ErrorKind::invalid_state) << to_string(s);
    EXPECT_EQ(refusal(Verb::restore_snapshot, s), ErrorKind::invalid_state) << to_string(s);
  }
  EXPECT_EQ(refusal(Verb::snapshot, VmState::suspended), ErrorKind::invalid_state);
  EXPECT_EQ(refusal(Verb::snapshot, VmState::creating), ErrorKind::busy);
}

}  // namespace
}  // namespace banger
