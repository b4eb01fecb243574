// bangerctl image build|list|show|import|default|rm
#include "app.h"
#include "image_builder.h"
#include "image_output.h"
#include "output.h"
#include "progress.h"

#include <algorithm>
#include <iostream>
#include <memory>

namespace bangerctl {

namespace {

constexpr const char* image_ref_help = "image id, name, or unique prefix of either";

struct ImageArgs {
  std::string ref;
  std::string name = "default";
  std::string output;
  banger::client::ImageSourceFiles files;
};

banger::client::ImageInfo import_with_progress(banger::client::Client& client, const Globals& g,
                                               const std::string& name,
                                               const banger::client::ImageSourceFiles& files) {
  ProgressBar bar(!g.no_progress);
  return client.import_image(name, files,
                             [&bar](const std::string& stage, double fraction) { bar.update(stage, fraction); });
}

void print_image(const Globals& g, const banger::client::ImageInfo& image) {
  if (g.json)
    print_json(to_json(image));
  else
    std::cout << image.id << '\n';
}

// Builds the default image as the calling user, imports it unless an image of
// that name exists, and makes it the default when there is none.
void build(const Globals& g, const ImageArgs& args) {
  const auto output = args.output.empty() ? default_image_cache() : std::filesystem::path(args.output);
  if (!g.json) std::cerr << "building the default image in " << output.string() << '\n';
  run_image_builder(image_builder(), output);

  auto client = connect(g);
  const auto images = client.list_images();
  auto same = std::find_if(images.begin(), images.end(), [&](const auto& i) { return i.name == args.name; });
  banger::client::ImageInfo image;
  if (same != images.end()) {
    image = *same;
    std::cerr << "an image named '" << args.name << "' is already registered; to replace it: bangerctl image rm "
              << args.name << '\n';
  } else {
    image = import_with_progress(client, g, args.name,
                                 {(output / "rootfs.ext4").string(), (output / "vmlinuz").string(), "",
                                  (output / "initrd.img").string()});
  }
  const bool has_default = std::any_of(images.begin(), images.end(), [](const auto& i) { return i.is_default; });
  if (!has_default) {
    client.set_default_image(image.id);
    image = client.get_image(image.id);
  }
  print_image(g, image);
}

}  // namespace

void add_image_commands(Context& ctx) {
  auto args = std::make_shared<ImageArgs>();
  auto* image = ctx.app.add_subcommand("image", "Manage guest images");
  image->require_subcommand(1);
  image->fallthrough();
  Context inner{*image, ctx.globals, ctx.invocation};
  const Globals& g = ctx.globals;

  auto* build_cmd = image->add_subcommand(
      "build", "Build the default image from Debian packages, import it, and make it the default if there is none");
  build_cmd->add_option("--name", args->name, "Name of the imported image")->capture_default_str();
  build_cmd->add_option("--output", args->output, "Build directory (default: ~/.cache/banger/default-image)");
  select_with(inner, build_cmd, &args->name, [args, &g] { build(g, *args); });

  auto* list = image->add_subcommand("list", "List all images");
  list->alias("ls");
  select_with(inner, list, nullptr, [&g] {
    const auto images = connect(g).list_images();
    if (g.json)
      print_json(to_json(images));
    else
      print_image_table(std::cout, images);
  });

  auto* show = image->add_subcommand("show", "Show the details of one image");
  show->add_option("REF", args->ref, image_ref_help)->required();
  select_with(inner, show, &args->ref, [args, &g] {
    const auto info = connect(g).get_image(args->ref);
    if (g.json)
      print_json(to_json(info));
    else
      print_image_details(std::cout, info);
  });

  auto* import = image->add_subcommand("import", "Import an image from files (opened with your own rights)");
  import->add_option("NAME", args->name, "Name of the new image")->required();
  import->add_option("--rootfs", args->files.rootfs, "Root filesystem (ext4)")->required();
  import->add_option("--kernel", args->files.kernel, "Kernel as a bzImage (QEMU)");
  import->add_option("--vmlinux", args->files.vmlinux, "Kernel as an ELF file (Firecracker)");
  import->add_option("--initrd", args->files.initrd, "Initramfs");
  select_with(inner, import, &args->name, [args, &g] {
    auto client = connect(g);
    print_image(g, import_with_progress(client, g, args->name, args->files));
  });

  auto* def = image->add_subcommand("default", "Make an image the one VMs get when create names none");
  def->add_option("REF", args->ref, image_ref_help)->required();
  select_with(inner, def, &args->ref, [args, &g] { connect(g).set_default_image(args->ref); });

  auto* rm = image->add_subcommand("rm", "Delete an image (refused while a VM uses it)");
  rm->alias("delete");
  rm->add_option("REF", args->ref, image_ref_help)->required();
  select_with(inner, rm, &args->ref, [args, &g] { connect(g).remove_image(args->ref); });
}

}  // namespace bangerctl
