# Prints the user-data MIME message Vagrant builds for one machine of vagrant/Vagrantfile, with
# Vagrant's own code: Vagrant::Util::Mime (lib/vagrant/util/mime.rb) put together the way
# Vagrant::Action::Builtin::CloudInitSetup#setup_user_data / #read_text_cfg / #generate_cfg_msg do
# (Debian's vagrant 2.3.4; identical at hashicorp/vagrant HEAD 35f3160f4). Only the Vagrantfile's
# `config` object is a recording double: it keeps each `cloud_init` call and ignores the rest.
#
# Usage: ruby vagrant-mime.rb VAGRANTFILE MACHINE > user-data.mime
require "pathname"
gem_dir = Dir.glob("/usr/share/rubygems-integration/all/gems/vagrant-*/lib").max or abort("no vagrant gem")
$LOAD_PATH.unshift(gem_dir)
require "vagrant/util/mime"

class Recorder
  attr_reader :cloud_inits, :machines
  def initialize(machines = {}) = (@cloud_inits = []; @machines = machines)
  def define(name, *_) = (r = Recorder.new; @machines[name.to_s] = r; yield r if block_given?; r)
  def cloud_init(type = :user_data, **opts) = (@cloud_inits << opts; nil)
  def method_missing(*_args, **_kw) = (yield Recorder.new if block_given?; self)
  def respond_to_missing?(*) = true
end

module Vagrant
  def self.configure(_version)
    yield $recorder
  end
end

vagrantfile, machine = ARGV
$recorder = Recorder.new
root = Pathname.new(File.expand_path(File.dirname(vagrantfile)))
load File.expand_path(vagrantfile)
m = $recorder.machines.fetch(machine)
parts = m.cloud_inits.map do |cfg|
  text = cfg[:path] ? File.read(Pathname.new(cfg[:path]).expand_path(root)) : cfg[:inline]
  Vagrant::Util::Mime::Entity.new(text, cfg[:content_type])
end
msg = Vagrant::Util::Mime::Multipart.new
msg.headers["MIME-Version"] = "1.0"
parts.each { |p| msg.add(p) }
$stdout.write(msg.to_s)
