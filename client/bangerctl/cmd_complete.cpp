// bangerctl __complete -- WORD… : the shell completion's back end (hidden).
// The candidates come from bangerctl's own command tree, so every verb and
// option is completed without a second list to keep in step, and VM, image and
// network names come from the running bangerd.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app.h"

namespace bangerctl {

namespace {

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

CLI::App* subcommand_named(CLI::App* app, const std::string& word) {
  for (auto* sub : app->get_subcommands([](CLI::App*) { return true; }))
    if (sub->check_name(word)) return sub;
  return nullptr;
}

// What kind of name the positional at `index` of `app` takes: "vm", "image", "network",
// "snapshot" (a checkpoint of the VM named before it) or "".
std::string positional_kind(const CLI::App* app, std::size_t index) {
  std::vector<const CLI::Option*> positionals;
  for (const auto* option : app->get_options())
    if (option->get_positional()) positionals.push_back(option);
  if (index >= positionals.size()) return {};
  const std::string name = positionals[index]->get_name();
  const CLI::App* parent = app->get_parent();
  const std::string family = parent != nullptr && parent->get_parent() != nullptr ? parent->get_name() : "";
  if (family == "image") return name == "REF" ? "image" : "";
  if (family == "network") return name == "NAME" && app->get_name() != "create" ? "network" : "";
  if (family == "snapshot" && name == "NAME") return app->get_name() != "create" ? "snapshot" : "";
  return name == "REF" || name == "VM" ? "vm" : "";
}

void print_names(const Globals& globals, const std::string& kind, const std::string& prefix,
                 const std::string& vm = {}) {
  try {
    auto client = connect(globals);
    std::vector<std::string> names;
    if (kind == "vm")
      for (const auto& vm : client.list_vms()) names.push_back(vm.name);
    if (kind == "image")
      for (const auto& image : client.list_images()) names.push_back(image.name);
    if (kind == "network")
      for (const auto& network : client.list_networks()) names.push_back(network.name);
    if (kind == "snapshot" && !vm.empty())
      for (const auto& snapshot : client.list_snapshots(vm)) names.push_back(snapshot.name);
    for (const auto& name : names)
      if (starts_with(name, prefix)) std::cout << name << '\n';
  } catch (const std::exception&) {
    // No daemon: no names, and no noise in the user's prompt.
  }
}

void complete(CLI::App& root, const Globals& globals, const std::vector<std::string>& words) {
  const std::string current = words.empty() ? "" : words.back();
  CLI::App* app = &root;
  std::size_t positional = 0;
  std::string first_positional;  // the VM whose checkpoint names complete the NAME after it
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string& word = words[i];
    if (starts_with(word, "-")) {
      // An option that takes a value swallows the next word (unless given as --opt=value).
      const auto* option = app->get_option_no_throw(word.substr(0, word.find('=')));
      if (option == nullptr && app->get_parent() != nullptr) option = root.get_option_no_throw(word.substr(0, word.find('=')));
      if (option != nullptr && option->get_items_expected_min() > 0 && word.find('=') == std::string::npos) ++i;
      continue;
    }
    if (auto* sub = subcommand_named(app, word); sub != nullptr && positional == 0) {
      app = sub;
      continue;
    }
    if (positional++ == 0) first_positional = word;
  }
  // clone REF NEW_NAME --from CHECKPOINT: the checkpoints of REF.
  if (words.size() >= 2 && words[words.size() - 2] == "--from" && app->get_name() == "clone") {
    print_names(globals, "snapshot", current, first_positional);
    return;
  }
  if (starts_with(current, "-")) {
    auto print_options = [&current](const CLI::App* a) {
      for (const auto* option : a->get_options())
        for (const auto& name : option->get_lnames())
          if (starts_with("--" + name, current)) std::cout << "--" << name << '\n';
    };
    print_options(app);
    if (app != &root) print_options(&root);  // global options are accepted after the verb too
    return;
  }
  if (positional == 0)
    for (const auto* sub : app->get_subcommands([](CLI::App*) { return true; }))
      if (!sub->get_group().empty() && starts_with(sub->get_name(), current)) std::cout << sub->get_name() << '\n';
  if (auto kind = positional_kind(app, positional); !kind.empty()) print_names(globals, kind, current, first_positional);
}

}  // namespace

void add_complete_command(Context& ctx) {
  auto* sub = ctx.app.add_subcommand("__complete", "Print completions for the words after --");
  sub->group("");  // hidden from --help
  // After "--" every word is a positional, however much it looks like an option.
  auto words = std::make_shared<std::vector<std::string>>();
  sub->add_option("WORDS", *words, "The command line so far; the last word is the one to complete");
  select_with(ctx, sub, nullptr, [&root = ctx.app, &g = ctx.globals, words] { complete(root, g, *words); });
}

}  // namespace bangerctl
