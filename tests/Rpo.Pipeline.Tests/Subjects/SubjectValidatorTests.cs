using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;
using Rpo.Pipeline.Tests.Storage;
using static Rpo.Pipeline.Tests.Subjects.SubjectUploads;

namespace Rpo.Pipeline.Tests.Subjects;

public sealed class SubjectValidatorTests
{
    private const string Subject = "rex";
    private static readonly (string, byte[]) DogJson = ("subject.json", Json("""{ "classNoun": "dog" }"""));

    private static async Task<SubjectValidationResult> ValidateAsync(string? classNoun, params (string Name, byte[] Content)[] files)
    {
        await using var temp = new TempLocalStore();
        await PutAsync(temp.Store, Subject, files);
        return await new SubjectValidator(temp.Store).ValidateAsync(Subject, classNoun);
    }

    private static SubjectProblem Single(SubjectValidationResult result)
    {
        Assert.False(result.IsValid);
        return Assert.Single(result.Problems);
    }

    [Fact]
    public async Task A_good_upload_is_valid_with_its_images_class_and_options()
    {
        var result = await ValidateAsync(
            null,
            ("a.png", Png(300, 256, 1)),
            ("b.jpg", Jpeg()),
            ("subject.json", Json("""{ "classNoun": "dog", "options": { "steps": 80, "valEvery": 20, "lambdaVal": 0.5 } }""")));

        Assert.True(result.IsValid, result.Describe());
        Assert.Equal("dog", result.ClassNoun);
        Assert.True(result.IsLive);
        Assert.Equal(["a.png", "b.jpg"], result.Images.Select(i => i.Name));
        Assert.Equal(80, result.Options.Steps);
        Assert.Equal(20, result.Options.ValEvery);
        Assert.Equal(0.5, result.Options.LambdaVal);
    }

    [Fact]
    public async Task A_text_file_named_like_an_image_is_named_as_not_an_image()
    {
        var result = await ValidateAsync("dog", ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)), ("notes.jpg", Json("just some text")));

        var problem = Single(result);
        Assert.Equal("notes.jpg", problem.File);
        Assert.Contains("not a readable image", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_jpeg_is_named()
    {
        var result = await ValidateAsync("dog", ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)), ("cut.jpg", TruncatedJpeg()));

        var problem = Single(result);
        Assert.Equal("cut.jpg", problem.File);
        Assert.Contains("not a readable image", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_image_under_256_px_on_its_short_side_is_too_small()
    {
        var result = await ValidateAsync("dog", ("a.png", Png(256, 256, 1)), ("wide.png", Png(600, 255, 2)));

        var problem = Single(result);
        Assert.Equal("wide.png", problem.File);
        Assert.Contains("600x255", problem.Reason, StringComparison.Ordinal);
        Assert.Contains("256", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sizes_are_reported_upright_after_exif_orientation()
    {
        var result = await ValidateAsync("dog", ("a.png", Png(256, 256, 1)), ("phone.png", PngWithOrientation(Noise(600, 200, 2), 6)));

        var problem = Single(result);
        Assert.Equal("phone.png", problem.File);
        Assert.Contains("200x600 px (upright)", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_image_is_too_few()
    {
        var result = await ValidateAsync("dog", ("a.png", Png(256, 256, 1)));

        var problem = Single(result);
        Assert.Equal(SubjectProblem.WholeSubject, problem.File);
        Assert.Contains("at least 2", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twenty_one_images_are_too_many()
    {
        var files = Enumerable.Range(0, 21).Select(i => ($"{i:D2}.png", Png(256, 256, i))).ToArray();

        var problem = Single(await ValidateAsync("dog", files));

        Assert.Equal(SubjectProblem.WholeSubject, problem.File);
        Assert.Contains("21 images", problem.Reason, StringComparison.Ordinal);
        Assert.Contains("at most 20", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_file_twice_is_a_duplicate()
    {
        var png = Png(256, 256, 1);
        var result = await ValidateAsync("dog", ("a.png", png), ("b.png", Png(256, 256, 2)), ("copy of a.png", png));

        var problem = Single(result);
        Assert.Equal("copy of a.png", problem.File);
        Assert.Contains("'a.png'", problem.Reason, StringComparison.Ordinal);
        Assert.Contains("identical bytes", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_pixels_in_other_bytes_are_a_duplicate()
    {
        var image = Noise(256, 256, 1);
        var resaved = PngOtherBytes(image);
        Assert.NotEqual(Rpo.Diffusion.Imaging.PngWriter.Encode(image), resaved);

        var result = await ValidateAsync("dog", ("a.png", Rpo.Diffusion.Imaging.PngWriter.Encode(image)), ("b.png", resaved), ("c.png", Png(256, 256, 3)));

        var problem = Single(result);
        Assert.Equal("b.png", problem.File);
        Assert.Contains("identical pixels", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_option_is_named_and_so_is_an_invalid_one()
    {
        var result = await ValidateAsync(
            null,
            ("a.png", Png(256, 256, 1)),
            ("b.png", Png(256, 256, 2)),
            ("subject.json", Json("""{ "classNoun": "dog", "options": { "stepz": 10, "lambdaVal": 2 } }""")));

        Assert.Equal(2, result.Problems.Count);
        Assert.All(result.Problems, p => Assert.Equal("subject.json", p.File));
        Assert.Contains(result.Problems, p => p.Reason.Contains("unknown option 'stepz'", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Reason.Contains("lambdaVal must be in [0, 1]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_key_in_subject_json_is_an_error()
    {
        var result = await ValidateAsync(null, ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)), ("subject.json", Json("""{ "classNoun": "dog", "colour": "brown" }""")));

        var problem = Single(result);
        Assert.Equal("subject.json", problem.File);
        Assert.Contains("unknown key 'colour'", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_class_noun_anywhere_is_an_error()
    {
        var problem = Single(await ValidateAsync(null, ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2))));

        Assert.Equal(SubjectProblem.WholeSubject, problem.File);
        Assert.Contains("no class noun", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_class_noun_is_an_error()
    {
        var problem = Single(await ValidateAsync(null, ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)), ("subject.json", Json("""{ "classNoun": "spaceship" }"""))));

        Assert.Equal("subject.json", problem.File);
        Assert.Contains("unknown class noun 'spaceship'", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task System_and_hidden_files_are_ignored_not_fatal()
    {
        var result = await ValidateAsync(
            "dog",
            ("a.png", Png(256, 256, 1)),
            ("b.png", Png(256, 256, 2)),
            (".DS_Store", Json("\0\0\0\u0001Bud1")),
            ("Thumbs.db", Json("thumbs")),
            ("desktop.ini", Json("[.ShellClassInfo]")),
            (".hidden.jpg", Json("not an image either")),
            ("__MACOSX/._a.png", Json("resource fork")));

        Assert.True(result.IsValid, result.Describe());
        Assert.Equal(["a.png", "b.png"], result.Images.Select(i => i.Name));
        Assert.Equal(5, result.Ignored.Count);
    }

    [Fact]
    public async Task Every_problem_is_listed_with_its_file_and_the_uploads_are_untouched()
    {
        await using var temp = new TempLocalStore();
        await PutAsync(
            temp.Store,
            Subject,
            ("a.png", Png(256, 256, 1)),
            ("b.png", Png(100, 400, 2)),
            ("c.jpg", TruncatedJpeg()),
            ("d.png", Json("hello")),
            ("e.png", Png(256, 256, 1)),
            ("readme.txt", Json("hi")),
            ("subject.json", Json("""{ "classNoun": "unicorn", "options": { "speed": 3 } }""")));
        var before = await SnapshotAsync(temp.Store);

        var result = await new SubjectValidator(temp.Store).ValidateAsync(Subject);

        Assert.Equal(["b.png", "c.jpg", "d.png", "e.png", "readme.txt", "subject.json", "subject.json"], result.Problems.Select(p => p.File).Order(StringComparer.Ordinal));
        var message = result.Describe();
        foreach (var problem in result.Problems)
        {
            Assert.Contains(problem.ToString(), message, StringComparison.Ordinal);
        }

        Assert.Equal(before, await SnapshotAsync(temp.Store));
    }

    [Fact]
    public async Task Validates_uploads_on_azurite()
    {
        await using var azurite = new AzuriteStoreUnderTest(await Azurite.CreateStoreAsync());
        await PutAsync(azurite.Store, Subject, ("a.png", Png(256, 256, 1)), ("b.jpg", TruncatedJpeg()), ("c.png", Png(200, 200, 3)), (".DS_Store", Json("x")), DogJson);

        var result = await new SubjectValidator(azurite.Store).ValidateAsync(Subject);

        Assert.Equal(["b.jpg", "c.png"], result.Problems.Select(p => p.File));
        Assert.Equal([".DS_Store"], result.Ignored);
        Assert.Equal("dog", result.ClassNoun);
    }

    private static async Task<List<string>> SnapshotAsync(IBlobStorage storage)
    {
        var items = new List<string>();
        await foreach (var item in storage.ListAsync(StorageLayout.SubjectFolder(Subject)))
        {
            items.Add($"{item.Blob} {item.Size} {await storage.GetETagAsync(item.Blob)}");
        }

        return items;
    }
}
